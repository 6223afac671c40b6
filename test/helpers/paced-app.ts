import { startTestApp, type TestApp } from './test-app';

/**
 * A test app started while the file is collected, with a timeout for its tests derived from
 * how long that start took. A busy machine slows the start (cloning the database, migrating
 * keys, the first queries) as much as the tests after it, so heavy tests get more time
 * exactly when the machine is slow instead of a blanket increase; `perStart` is how many
 * starts a test's (or a hook's) work may take, and neither limit drops below vitest's own
 * (30 s for a test, 60 s for a hook).
 */
export async function startPacedApp(
  perStart: number,
  options: Parameters<typeof startTestApp>[0] = {},
): Promise<{ t: TestApp; startMs: number; timeout: number; hookTimeout: number }> {
  const started = performance.now();
  const t = await startTestApp(options);
  const startMs = performance.now() - started;
  const paced = Math.round(perStart * startMs);
  return { t, startMs, timeout: Math.max(30_000, paced), hookTimeout: Math.max(60_000, paced) };
}
