import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { threadCompute } from '../../src/threads/thread-compute';

/** Each thread of this process with its niceness, from Linux's /proc (field 19 of `stat`). */
function threadNiceness(): Map<string, number> {
  const threads = new Map<string, number>();
  for (const id of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(id, Number(fields[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** The niceness of the threads a pool started (those that were not there before). */
async function startedThreadsNiceness(options: { background: boolean }): Promise<number[]> {
  const before = threadNiceness();
  const compute = threadCompute({ threads: 1, ...options });
  await compute.warm?.();
  return [...threadNiceness()].filter(([id]) => !before.has(id)).map(([, nice]) => nice);
}

describe.runIf(existsSync('/proc/self/task'))('compute threads on Linux', () => {
  it('run request work at the lowest priority, so the request thread wins the CPU', async () => {
    const started = await startedThreadsNiceness({ background: true });
    expect(started).toContain(19);
    // The process's own threads keep theirs: only the compute thread was reniced.
    expect(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[16])).toBe(0);
  }, 30_000);

  it('leave detection threads at the process priority', async () => {
    const started = await startedThreadsNiceness({ background: false });
    expect(started.length).toBeGreaterThan(0);
    expect(started.every((nice) => nice === 0)).toBe(true);
  }, 30_000);
});
