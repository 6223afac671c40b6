import type { Compute } from '../../src/threads/compute';
import { threadCompute } from '../../src/threads/thread-compute';

/** One compute thread, as on Node, that records the name of every task handed to it. */
export function recordingThreadCompute(): { compute: Compute; tasks: string[] } {
  const threaded = threadCompute({ threads: 1 });
  const tasks: string[] = [];
  const compute: Compute = Object.assign(
    ((task, input, slot) => {
      tasks.push(task);
      return threaded(task, input, slot);
    }) as Compute,
    { offThread: true },
  );
  return { compute, tasks };
}
