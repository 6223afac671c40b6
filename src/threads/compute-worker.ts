import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type TaskName } from './compute';
import { replyError } from './thread-pool';

// The lowest priority: the request thread wins the CPU whenever both want it.
const BACKGROUND_NICENESS = 19;

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

/**
 * The buffers behind the typed arrays of a result (in arrays and objects, a few levels
 * deep): moved to the requesting thread rather than copied, since this thread drops them.
 */
function buffersOf(value: unknown, found = new Set<ArrayBuffer>(), depth = 0): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (depth < 3 && value !== null && typeof value === 'object') {
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) {
      if (child !== null && typeof child === 'object') buffersOf(child, found, depth + 1);
    }
  }
  return [...found];
}

if ((workerData as { background?: boolean } | null)?.background) yieldToRequests();
parentPort?.on('message', ({ id, task, input }: { id: number; task: TaskName; input: never }) => {
  try {
    const result = runTask(task, input);
    parentPort?.postMessage({ id, result }, buffersOf(result));
  } catch (error) {
    parentPort?.postMessage(replyError(id, error));
  }
});
