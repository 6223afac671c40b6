import type { Compute, TaskName, TaskOutput } from './compute';
import { createThreadPool } from './thread-pool';

// `npm start` runs the bundle, where the worker is built beside this chunk as JavaScript;
// tests and `npm run dev` run the sources under tsx.
const BUNDLED = import.meta.url.endsWith('.js');
const WORKER_URL = new URL(
  BUNDLED ? './compute-worker.js' : './compute-worker.ts',
  import.meta.url,
);

/**
 * Node only: compute tasks run on a pool of worker threads (two by default), which start on
 * first use. With `background`, the threads yield the CPU to the request thread (Linux).
 */
export function threadCompute(options: { threads?: number; background?: boolean } = {}): Compute {
  const pool = createThreadPool(WORKER_URL, options.threads ?? 2, {
    background: options.background ?? false,
  });
  const compute: Compute = <K extends TaskName>(task: K, input: unknown, slot?: number) =>
    pool.run(task, input, slot) as Promise<TaskOutput<K>>;
  compute.offThread = true;
  return compute;
}
