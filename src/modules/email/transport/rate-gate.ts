/**
 * Spaces requests evenly at a rate per second across everything that shares the gate, and
 * holds them all back after a `429` for as long as the provider asked.
 */
export type RateGate = { wait(): Promise<void>; pause(ms: number): void };

/**
 * A request leaves its slot a few milliseconds late when the event loop is busy, and the next
 * one may not: 5% of headroom keeps arrivals under the provider's window, where a single 429
 * would cost a whole `retry-after`.
 */
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
