import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type TaskName } from './compute';
import { replyError } from './thread-pool';

const BACKGROUND_NICENESS = 10;

/**
 * On Linux a thread has its own niceness: a background thread yields the CPU to the thread
 * that answers requests (on a two-core machine the compute threads, Postgres and the server
 * share it). Elsewhere it runs at the process's priority.
 */
function yieldToRequests() {
  try {
    const thread = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (Number.isInteger(thread)) setPriority(thread, BACKGROUND_NICENESS);
  } catch {
    // No /proc, or not allowed: the same priority as the process.
  }
}

if ((workerData as { background?: boolean } | null)?.background) yieldToRequests();
parentPort?.on('message', ({ id, task, input }: { id: number; task: TaskName; input: never }) => {
  try {
    parentPort?.postMessage({ id, result: runTask(task, input) });
  } catch (error) {
    parentPort?.postMessage(replyError(id, error));
  }
});
