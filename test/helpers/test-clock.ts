import type { Clock } from '../../src/lib/clock';

export type TestClock = Clock & { set(date: Date | string): void; advance(ms: number): void };

export function createTestClock(start: Date | string = '2026-03-02T09:00:00Z'): TestClock {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set: (date) => {
      current = new Date(date);
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
}
