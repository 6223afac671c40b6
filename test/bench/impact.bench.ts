import gamma from '@stdlib/random-base-gamma';
import poisson from '@stdlib/random-base-poisson';
import uniform from '@stdlib/random-base-uniform';
import { estimateWithHoldout, summarise } from '../../src/modules/impact/holdout-estimate';
import { estimateObservational } from '../../src/modules/impact/observational-estimate';

/**
 * npm run bench:impact — the holdout estimator on simulated campaigns with a known true
 * effect: audiences of 1k–100k accounts, base contact rates of 1–20% per account in the
 * window, holdouts of 5–20%, true lifts of 0–40%, overdispersed counts (each account's rate
 * drawn from a gamma distribution). Prints the 95% interval's coverage, the mean bias relative
 * to the true effect, and how often "prevented > 0" is claimed when the true effect is 0.
 * BENCH_CAMPAIGNS (default 1,000 of each kind) resizes it.
 */

const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 1_000);
const u = uniform.factory(0, 1, { seed: 2026 });
const gammaDraw = gamma.factory({ seed: 7 });
const poissonDraw = poisson.factory({ seed: 11 });
const between = (lo: number, hi: number) => lo + (hi - lo) * u();

type Outcome = { truth: number; estimate: number; low: number; high: number; ok: boolean };

function simulateCampaign(lift: number): Outcome {
  const audience = Math.round(Math.exp(between(Math.log(1_000), Math.log(100_000))));
  const base = between(0.01, 0.2);
  const holdoutShare = between(0.05, 0.2);
  const shape = between(0.5, 2); // smaller shape, more overdispersion
  const treated: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < audience; i++) {
    const rate = gammaDraw(shape, shape / base);
    if (u() < holdoutShare) held.push(poissonDraw(rate));
    else treated.push(poissonDraw(rate * (1 - lift)));
  }
  // The estimand: contacts the treated accounts would have made without the campaign, minus
  // those they made, in expectation over accounts like them.
  const truth = treated.length * base * lift;
  const result = estimateWithHoldout(summarise(treated), summarise(held));
  if (result.status !== 'ok') return { truth, estimate: 0, low: 0, high: 0, ok: false };
  const { estimate, low, high } = result.prevented;
  return { truth, estimate, low, high, ok: true };
}

const HISTORY_WEEKS = 156;

/** Draws a count with mean `mu` and variance dispersion·mu. */
function overdispersed(mu: number, dispersion: number): number {
  const rate = dispersion > 1 ? gammaDraw(mu / (dispersion - 1), 1 / (dispersion - 1)) : mu;
  return poissonDraw(rate);
}

/**
 * A reason's weekly contacts with a trend and a monthly event that brings a spike; the
 * campaign runs over the next two weeks (an event week and the one after) and removes a
 * share `lift` of their contacts. No holdout: the estimator only has the series.
 */
function simulateObservational(lift: number, seed: number): Outcome {
  const base = Math.exp(between(Math.log(20), Math.log(500)));
  const trend = between(-0.1, 0.1);
  const eventEffect = between(0.3, 1);
  const dispersion = between(1, 1.5);
  const overlap = (week: number) => (week % 4 === 0 ? 1 : 0);
  const mean = (week: number) => base * Math.exp((trend * week) / 52 + eventEffect * overlap(week));
  const history = Array.from({ length: HISTORY_WEEKS }, (_, w) =>
    overdispersed(mean(w), dispersion),
  );
  const windowWeeks = [HISTORY_WEEKS, HISTORY_WEEKS + 1];
  const truth = windowWeeks.reduce((sum, w) => sum + mean(w) * lift, 0);
  const result = estimateObservational({
    history,
    historyEventOverlap: history.map((_, w) => overlap(w)),
    window: {
      observed: windowWeeks.map((w) => overdispersed(mean(w) * (1 - lift), dispersion)),
      eventOverlap: windowWeeks.map(overlap),
    },
    draws: 1_000,
    seed,
  });
  if (result.status !== 'ok') return { truth, estimate: 0, low: 0, high: 0, ok: false };
  return { truth, ...result.prevented, ok: true };
}

function score(withEffect: Outcome[], withoutEffect: Outcome[]) {
  const all = [...withEffect, ...withoutEffect].filter((o) => o.ok);
  const effective = withEffect.filter((o) => o.ok);
  const nullRuns = withoutEffect.filter((o) => o.ok);
  return {
    coverage: all.filter((o) => o.low <= o.truth && o.truth <= o.high).length / all.length,
    bias:
      effective.reduce((sum, o) => sum + (o.estimate - o.truth), 0) /
      effective.reduce((sum, o) => sum + o.truth, 0),
    falsePositives: nullRuns.filter((o) => o.low > 0).length / nullRuns.length,
    undecided: withEffect.length + withoutEffect.length - all.length,
  };
}

const started = performance.now();
const withEffect = Array.from({ length: CAMPAIGNS }, () => simulateCampaign(between(0, 0.4)));
const withoutEffect = Array.from({ length: CAMPAIGNS }, () => simulateCampaign(0));
const seconds = (performance.now() - started) / 1000;
const holdout = score(withEffect, withoutEffect);

const observationalStarted = performance.now();
const observational = score(
  Array.from({ length: CAMPAIGNS }, (_, i) => simulateObservational(between(0, 0.4), i + 1)),
  Array.from({ length: CAMPAIGNS }, (_, i) => simulateObservational(0, CAMPAIGNS + i + 1)),
);
const observationalSeconds = (performance.now() - observationalStarted) / 1000;
const { coverage, bias, falsePositives, undecided } = holdout;

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
console.log(
  `${2 * CAMPAIGNS} simulated campaigns (${CAMPAIGNS} with true lifts of 0–40%, ${CAMPAIGNS} with none) in ${seconds.toFixed(1)} s; ${undecided} without enough data`,
);
console.log(
  'estimator                 | coverage of 95% interval | mean bias / true effect | false "prevented > 0"',
);
console.log(
  `holdout (difference of means) | ${pct(coverage).padStart(24)} | ${pct(bias).padStart(23)} | ${pct(falsePositives).padStart(20)}`,
);
console.log(
  `observational (no holdout)    | ${pct(observational.coverage).padStart(24)} | ${pct(observational.bias).padStart(23)} | ${pct(observational.falsePositives).padStart(20)}`,
);
console.log(
  `(observational: ${2 * CAMPAIGNS} simulated series of ${HISTORY_WEEKS} weeks with a monthly event, in ${observationalSeconds.toFixed(1)} s; ${observational.undecided} without enough data; the targets apply to the holdout estimator)`,
);
const targets = [
  [`coverage within 93–97% (${pct(coverage)})`, coverage >= 0.93 && coverage <= 0.97],
  [`|mean bias| < 2% of the true effect (${pct(bias)})`, Math.abs(bias) < 0.02],
  [`false "prevented > 0" <= 5% (${pct(falsePositives)})`, falsePositives <= 0.05],
] as const;
console.log('');
for (const [label, met] of targets) console.log(`${met ? 'met    ' : 'NOT MET'} ${label}`);
