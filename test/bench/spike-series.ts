import gamma from '@stdlib/random-base-gamma';
import poisson from '@stdlib/random-base-poisson';
import uniform from '@stdlib/random-base-uniform';
import type { EventTerm } from '../../src/modules/spikes/detect';

/**
 * Weekly contact series with known truth: trend, yearly seasonality, a monthly event with a
 * real effect, overdispersed count noise, and spikes of known size injected at known weeks.
 * Seeded, so every run of the benchmark and the tests sees the same series.
 */

export type Tier = 'high' | 'medium' | 'low';

export type SimulatedReason = {
  reason: string;
  tier: Tier;
  counts: number[];
  spikeWeeks: Set<number>;
};

export type Simulation = { reasons: SimulatedReason[]; events: EventTerm[]; weeks: number };

const BASE_RANGE: Record<Tier, [number, number]> = {
  high: [60, 200],
  medium: [10, 30],
  low: [0.5, 3],
};

export function simulate(options: {
  seed: number;
  weeks: number;
  perTier: number;
  spikesPerYear: number;
  spikeFrom: number;
  multiplier: [number, number];
}): Simulation {
  const u = uniform.factory(0, 1, { seed: options.seed });
  const pois = poisson.factory({ seed: options.seed + 1 });
  const gam = gamma.factory({ seed: options.seed + 2 });
  const between = (lo: number, hi: number) => lo + (hi - lo) * u();

  // A monthly billing run: the week holding the 1st is about half covered by its window.
  const monthOf = (day: number) => Math.floor(day / 30.4375);
  const billing = Array.from({ length: options.weeks }, (_, w) =>
    monthOf(w * 7) !== monthOf(w * 7 + 6) ? 0.5 : 0,
  );
  const events: EventTerm[] = [
    {
      eventId: 'billing',
      title: 'Monthly billing run',
      kind: 'billing_run',
      overlap: billing,
      reasons: [],
    },
  ];

  const reasons: SimulatedReason[] = [];
  for (const tier of ['high', 'medium', 'low'] as const) {
    for (let i = 0; i < options.perTier; i++) {
      const base = between(...BASE_RANGE[tier]);
      const trend = between(-0.15, 0.15);
      const amplitude = between(0, 0.3);
      const phase = between(0, 2 * Math.PI);
      const billingEffect = u() < 0.5 ? between(0.2, 0.6) : 0;
      const dispersion = tier === 'low' ? 1 : between(1, 1.6);
      const spikeWeeks = new Set<number>();
      const counts = Array.from({ length: options.weeks }, (_, w) => {
        const years = w / 52.1775;
        let mu =
          base *
          Math.exp(trend * years + amplitude * Math.sin(2 * Math.PI * years + phase)) *
          Math.exp(billingEffect * (billing[w] ?? 0));
        if (w >= options.spikeFrom && u() < options.spikesPerYear / 52) {
          mu *= between(...options.multiplier);
          spikeWeeks.add(w);
        }
        return draw(mu, dispersion);
      });
      reasons.push({ reason: `${tier}-${i}`, tier, counts, spikeWeeks });
    }
  }
  return { reasons, events, weeks: options.weeks };

  function draw(mu: number, dispersion: number): number {
    if (dispersion <= 1) return pois(mu);
    // Gamma–Poisson mixture: mean mu, variance dispersion · mu.
    const size = mu / (dispersion - 1);
    return pois(gam(size, size / mu));
  }
}

/** The naive baseline: alert when a week is above mean + 3 sd of the 8 weeks before it. */
export function naiveZScoreAlerts(
  counts: number[],
  from: number,
  to: number,
  sds = 3,
): Set<number> {
  const alerts = new Set<number>();
  for (let w = Math.max(from, 8); w <= to; w++) {
    const window = counts.slice(w - 8, w);
    const mean = window.reduce((a, b) => a + b, 0) / window.length;
    const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1));
    if ((counts[w] ?? 0) > mean + sds * sd) alerts.add(w);
  }
  return alerts;
}
