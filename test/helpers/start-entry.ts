import { type ChildProcess, spawn } from 'node:child_process';
import { childOutput } from './child-output';
import { freePort } from './free-port';

export const ROOT = new URL('../..', import.meta.url).pathname;

export type Started = { child: ChildProcess; output: () => string; port: number; url: string };

// What `npm start` runs after its build (global setup builds): one process, so signals reach
// the entry directly.
export const ENTRY = [
  process.execPath,
  ['--enable-source-maps', '--max-semi-space-size=64', 'dist/index.js'],
] as const;

/**
 * The ceiling for a test that starts the entry: a busy 2-core machine has taken a minute for
 * one start (tsx compiling, PGlite initialising), so tests that start it get five.
 */
export const ENTRY_TEST_TIMEOUT_MS = 300_000;

// Starts measured in this test file; later starts may take a few times the slowest.
const measuredStarts: number[] = [];

/** How long a start may take: five times the slowest seen here, or the ceiling before any. */
function startAllowanceMs(): number {
  if (measuredStarts.length === 0) return ENTRY_TEST_TIMEOUT_MS - 30_000;
  return Math.min(
    ENTRY_TEST_TIMEOUT_MS - 30_000,
    Math.max(30_000, 5 * Math.max(...measuredStarts)),
  );
}

/** Starts the Node entry exactly as `npm start` does, with the given environment. */
export async function start(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(ENTRY[0], ENTRY[1], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = childOutput(child);
  const took = await output.waitFor(/forestall is listening/, startAllowanceMs(), 'entry', () =>
    child.kill('SIGKILL'),
  );
  measuredStarts.push(took);
  return { child, output: output.text, port, url: `http://127.0.0.1:${port}` };
}

/**
 * Signals the entry and resolves to its exit code once its output is read to the end: 'exit'
 * can come before the last of its stdout is read (seen under load: the final "stopped" line
 * missing), 'close' only after its streams are closed.
 */
export async function stop(started: Started, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once('close', resolve));
  started.child.kill(signal);
  return exited;
}
