import { availableParallelism } from 'node:os';
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
 * Threads a pool gets by default: two, but never as many as the cores, so that one core is
 * always left to the event loop that answers requests (on two cores, one thread).
 */
export const defaultThreads = () => Math.max(1, Math.min(2, availableParallelism() - 1));

/**
 * Node only: compute tasks run on a pool of worker threads, which start on first use or on
 * `warm()`. With `background`, the threads yield the CPU to the request thread (Linux).
 */
export function threadCompute(options: { threads?: number; background?: boolean } = {}): Compute {
  const pool = createThreadPool(WORKER_URL, options.threads ?? defaultThreads(), {
    background: options.background ?? false,
  });
  const compute: Compute = <K extends TaskName>(task: K, input: unknown, slot?: number) =>
    pool.run(task, input, slot) as Promise<TaskOutput<K>>;
  compute.offThread = true;
  compute.threads = pool.size;
  // Loading a thread's code takes a second or two of CPU: better at start than mid-traffic.
  compute.warm = () => pool.warm('ready');
  return compute;
}
