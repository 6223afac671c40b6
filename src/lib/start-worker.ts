import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on `entry`. A built entry (`.js`, `npm start`) starts as it is; a
 * source entry (`.ts`: tests, `npm run dev`) runs under tsx, which a thread does not inherit
 * from the loader `--import tsx` gave the main one, so the thread registers it first.
 * `preload` names packages the thread imports before that: a large one (PGlite) loads in
 * about half the time outside tsx's hooks.
 */
export function startWorker(
  entry: URL,
  options: WorkerOptions & { preload?: string[] } = {},
): Worker {
  const { preload = [], ...workerOptions } = options;
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, workerOptions);
  const bootstrap = new URL('./tsx-worker.mjs', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(bootstrap)})
      .then((bootstrap) => bootstrap.start(${JSON.stringify(entry.href)}, ${JSON.stringify(preload)}));`,
    { ...workerOptions, eval: true },
  );
}
