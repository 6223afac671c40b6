import type { Compute, TaskName, TaskOutput } from './compute';
import { createThreadPool } from './thread-pool';

// `npm start` runs the bundle, where the worker is built beside this chunk as JavaScript;
// tests and `npm run dev` run the sources under tsx.
const BUNDLED = import.meta.url.endsWith('.js');
const WORKER_URL = new URL(
  BUNDLED ? './compute-worker.js' : './compute-worker.ts',
  import.meta.url,
);

/** Node only: every compute task runs on a pool of worker threads (two by default). */
export function threadCompute(threads = 2): Compute {
  const pool = createThreadPool(WORKER_URL, threads);
  const compute: Compute = <K extends TaskName>(task: K, input: unknown, slot?: number) =>
    pool.run(task, input, slot) as Promise<TaskOutput<K>>;
  compute.offThread = true;
  return compute;
}
