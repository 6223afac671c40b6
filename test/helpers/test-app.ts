import { createApp } from '../../src/app';
import { buildDeps } from '../../src/composition-root';
import { type EnvSource, loadConfig } from '../../src/config';
import type { Database } from '../../src/db/database';
import type { Role } from '../../src/db/schema';
import { swaggerUiFiles } from '../../src/docs/swagger-ui-files';
import { createLogger } from '../../src/logger';
import { createApiKey } from '../../src/modules/auth/api-keys.service';
import type { DetectionRunner } from '../../src/modules/spikes/detection-job';
import type { Compute } from '../../src/threads/compute';
import { createTestClock } from './test-clock';
import { createTestDatabase } from './test-database';

export type RequestOptions = {
  method?: string;
  /** Defaults to the admin key; null sends no Authorization header. */
  key?: string | null;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
};

/** The real app over a fresh real database, with a controllable clock and captured logs. */
export async function startTestApp(
  options: {
    env?: EnvSource;
    database?: Database;
    detection?: DetectionRunner;
    compute?: Compute;
  } = {},
) {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({ LOG_LEVEL: 'debug', ...options.env });
  const clock = createTestClock();
  const logs: string[] = [];
  // Work a request leaves running (re-contact flags after an ingest), so a test can wait for it.
  const background = new Set<Promise<void>>();
  const deps = buildDeps(config, database.db, {
    clock,
    logger: createLogger('debug', (line) => logs.push(line)),
    detection: options.detection,
    compute: options.compute,
    keepAlive: (running) => {
      background.add(running);
      void running.finally(() => background.delete(running));
    },
  });
  const app = createApp(deps, { apiReferenceAssets: swaggerUiFiles });

  const keyFor = async (role: Role, name = `test ${role}`) =>
    (await createApiKey(deps, { name, role, createdBy: null })).key;
  const adminKey = await keyFor('admin', 'test admin');

  const request = (path: string, init: RequestOptions = {}) => {
    const headers = new Headers(init.headers);
    const key = init.key === undefined ? adminKey : init.key;
    if (key) headers.set('authorization', `Bearer ${key}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return app.request(path, { method: init.method ?? 'GET', headers, body });
  };

  return {
    app,
    deps,
    database,
    clock,
    logs,
    adminKey,
    keyFor,
    request,
    /** Resolves once the work requests left running has finished. */
    settle: async () => {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
    close: async () => {
      await Promise.allSettled([...background]);
      await deps.notices.exposures.flush();
      await database.close();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;
