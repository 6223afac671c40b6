/**
 * Spaces requests evenly at a rate per second across everything that shares the gate, and
 * holds them all back after a `429` for as long as the provider asked.
 */
export type RateGate = { wait(): Promise<void>; pause(ms: number): void };

/** Late slots must not crowd the next into a 429 (test/bench/README.md, Email). */
const HEADROOM = 1.05;

export function createRateGate(perSecond: number, now: () => number = Date.now): RateGate {
  const interval = (1000 / perSecond) * HEADROOM;
  let nextSlot = 0;
  return {
    async wait() {
      const current = now();
      const slot = Math.max(current, nextSlot);
      nextSlot = slot + interval;
      if (slot > current) await new Promise((resolve) => setTimeout(resolve, slot - current));
    },
    pause(ms) {
      nextSlot = Math.max(nextSlot, now() + ms);
    },
  };
}
