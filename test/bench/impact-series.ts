import gamma from '@stdlib/random-base-gamma';
import poisson from '@stdlib/random-base-poisson';
import {
  DEFAULT_DRAWS,
  estimateObservational,
} from '../../src/modules/impact/observational-estimate';
import { HOURS_PER_WEEK, windowShares } from '../../src/modules/impact/week-shares';
import { seededUniform } from './impact-campaigns';
import { legacyObservational } from './impact-legacy';

/**
 * Campaigns without a holdout, on daily contact series the observational model does not
 * assume: a weekday profile, a yearly season of three harmonics with a year-end dip of
 * 20–50%, a gentle trend, a monthly billing run (day 1, some spill into day 2), daily
 * overdispersion (gamma-mixed Poisson) and, in one scenario, a level shift of 20–60% either
 * way 4–30 weeks before the campaign. Campaigns start at any hour of any day and run 7–21
 * days, measured to 14 days after; the effect removes 0–40% of the contacts in that window.
 * The truth is the expected number removed.
 */

export type SeriesScenario = { name: string; historyWeeks: [number, number]; shift: boolean };

export const OBSERVATIONAL_SCENARIOS: SeriesScenario[] = [
  { name: 'seasonal series, 1–3 years of history', historyWeeks: [60, 156], shift: false },
  {
    name: 'level shift 4–30 weeks before the campaign',
    historyWeeks: [104, 156],
    shift: true,
  },
];

export type ObservationalScore = {
  series: number;
  refused: number;
  coverage: number;
  bias: number;
  biasNoise: number;
  /** Campaigns without an effect that got an answer: the false-positive rate's denominator. */
  nullAnswered: number;
  falsePositives: number;
  naive: { coverage: number; bias: number };
};

const DAY_MS = 86_400_000;
const WEEKDAYS = [1.3, 1.25, 1.2, 1.15, 1.0, 0.55, 0.55];
const WEEKDAY_MEAN = WEEKDAYS.reduce((a, b) => a + b, 0) / 7;

type Interval = { estimate: number; low: number; high: number };
type Run = { truth: number; estimate: Interval | null; naive: Interval | null };

function seriesSimulator(seed: number) {
  const u = seededUniform(seed);
  const gammaDraw = gamma.factory({ prng: u });
  const poissonFactory = poisson.factory({ prng: u });
  const poissonDraw = (mean: number) => (mean > 0 ? poissonFactory(mean) : 0);
  const between = (lo: number, hi: number) => lo + (hi - lo) * u();

  return function simulate(scenario: SeriesScenario, lift: number, index: number) {
    const weeks = Math.round(between(...scenario.historyWeeks));
    // The campaign starts somewhere in 2025–2026, at any hour.
    const startDay = Math.floor(between(0, 730));
    const startMonday = Date.UTC(2024, 11, 30) + (startDay - (startDay % 7)) * DAY_MS;
    const first = startMonday - weeks * 7 * DAY_MS;
    const startAt = weeks * 7 + (startDay % 7) + u();
    const endAt = startAt + Math.round(between(7, 21)) + 14;
    const windowWeeks = Math.ceil(endAt / 7) - weeks;
    const days = (weeks + windowWeeks) * 7;

    const level = Math.exp(between(Math.log(20), Math.log(500))) / 7;
    const trend = between(-0.15, 0.15);
    const amplitudes = [between(0.1, 0.35), between(0, 0.2), between(0, 0.1)];
    const phases = amplitudes.map(() => between(0, 2 * Math.PI));
    const yearEnd = between(0.2, 0.5);
    const billing = between(0.5, 2);
    const dispersion = between(20, 100);
    const shiftDay = scenario.shift ? startAt - between(4, 30) * 7 : Number.POSITIVE_INFINITY;
    const shift = scenario.shift ? (u() < 0.5 ? -1 : 1) * between(0.2, 0.6) : 0;

    const counts = new Float64Array(days);
    const expected = new Float64Array(days);
    const overlap = new Float64Array(weeks + windowWeeks);
    let observed = 0;
    let truth = 0;
    let observedWholeWeeks = 0;
    for (let d = 0; d < days; d++) {
      const date = new Date(first + d * DAY_MS);
      const year = date.getUTCFullYear();
      const angle = (2 * Math.PI * (date.getTime() - Date.UTC(year, 0, 1))) / (365.25 * DAY_MS);
      let season = 0;
      amplitudes.forEach((a, k) => {
        season += a * Math.sin((k + 1) * angle + (phases[k] as number));
      });
      const month = date.getUTCMonth();
      const dayOfMonth = date.getUTCDate();
      const holiday = (month === 11 && dayOfMonth >= 22) || (month === 0 && dayOfMonth <= 2);
      const event = dayOfMonth === 1 ? 1 + billing : dayOfMonth === 2 ? 1 + billing / 2 : 1;
      if (dayOfMonth === 1) overlap[Math.floor(d / 7)] = 1 / 7;
      const mean =
        level *
        Math.exp(season + (trend * d) / 365 + (d >= shiftDay ? shift : 0)) *
        ((WEEKDAYS[d % 7] as number) / WEEKDAY_MEAN) *
        (holiday ? 1 - yearEnd : 1) *
        event;
      expected[d] = mean;
      const count = poissonDraw(mean * gammaDraw(dispersion, dispersion));
      // The part of the day inside the window, contacts spread over the day.
      const inside = Math.max(0, Math.min(d + 1, endAt) - Math.max(d, startAt));
      if (inside <= 0) {
        counts[d] = count;
        continue;
      }
      let kept = 0;
      let within = 0;
      for (let k = 0; k < count; k++) {
        const at = d + u();
        if (at >= startAt && at < endAt) {
          within++;
          if (u() >= lift) kept++;
        } else kept++;
      }
      counts[d] = kept;
      observed += within - (count - kept);
      truth += mean * inside * lift;
    }
    for (let d = weeks * 7; d < days; d++) observedWholeWeeks += counts[d] as number;

    const history = Array.from({ length: weeks }, (_, w) => {
      let sum = 0;
      for (let d = w * 7; d < w * 7 + 7; d++) sum += counts[d] as number;
      return sum;
    });
    // The hour-of-week profile of the last 12 weeks, each day's contacts over its 24 hours.
    const profile = new Array<number>(HOURS_PER_WEEK).fill(0);
    for (let d = (weeks - 12) * 7; d < weeks * 7; d++) {
      for (let h = 0; h < 24; h++) {
        profile[(d % 7) * 24 + h] =
          (profile[(d % 7) * 24 + h] as number) + (counts[d] as number) / 24;
      }
    }
    const shares = windowShares(
      profile,
      windowWeeks,
      (startAt - weeks * 7) * 24,
      (endAt - (weeks + windowWeeks - 1) * 7) * 24,
    );
    const estimate = estimateObservational({
      firstWeek: new Date(first).toISOString().slice(0, 10),
      history,
      eventOverlap: Array.from(overlap),
      windowShares: shares,
      observed,
      // As many as the app: fewer would judge noisier intervals than users get.
      draws: DEFAULT_DRAWS,
      seed: seed * 7919 + index,
    });
    const legacy = legacyObservational({
      history,
      historyEventOverlap: Array.from(overlap.slice(0, weeks)),
      window: {
        observed: Array.from({ length: windowWeeks }, (_, w) => {
          let sum = 0;
          for (let d = (weeks + w) * 7; d < (weeks + w + 1) * 7; d++) sum += counts[d] as number;
          return sum;
        }),
        eventOverlap: Array.from(overlap.slice(weeks)),
      },
      draws: 1_000,
      seed: seed * 7919 + index,
    });
    void observedWholeWeeks;
    return {
      truth,
      estimate: estimate.status === 'ok' ? estimate.prevented : null,
      naive: legacy.status === 'ok' ? legacy.prevented : null,
    };
  };
}

export function scoreObservational(
  scenario: SeriesScenario,
  count: number,
  seed: number,
): ObservationalScore {
  const simulate = seriesSimulator(seed + 100);
  const effect: Run[] = [];
  const none: Run[] = [];
  for (let i = 0; i < count; i++) {
    effect.push(simulate(scenario, (0.4 * (i + 0.5)) / count, 2 * i));
    none.push(simulate(scenario, 0, 2 * i + 1));
  }
  const runs = [...effect, ...none];
  const answered = runs.filter((r) => r.estimate);
  const covers = (i: Interval | null, truth: number) => !!i && i.low <= truth && truth <= i.high;
  const withEffect = effect.filter((r) => r.estimate && r.truth > 0);
  const truth = withEffect.reduce((sum, r) => sum + r.truth, 0);
  const error = withEffect.reduce((sum, r) => sum + (r.estimate?.estimate ?? 0) - r.truth, 0);
  const noise = withEffect.reduce(
    (sum, r) => sum + (((r.estimate?.high ?? 0) - (r.estimate?.low ?? 0)) / 3.92) ** 2,
    0,
  );
  const nullAnswered = none.filter((r) => r.estimate);
  const naiveAnswered = runs.filter((r) => r.naive);
  const naiveEffect = effect.filter((r) => r.naive && r.truth > 0);
  return {
    series: runs.length,
    refused: 1 - answered.length / runs.length,
    coverage: answered.filter((r) => covers(r.estimate, r.truth)).length / answered.length,
    bias: error / truth,
    biasNoise: Math.sqrt(noise) / truth,
    nullAnswered: nullAnswered.length,
    falsePositives: nullAnswered.filter((r) => !covers(r.estimate, 0)).length / nullAnswered.length,
    naive: {
      coverage: naiveAnswered.filter((r) => covers(r.naive, r.truth)).length / naiveAnswered.length,
      bias:
        naiveEffect.reduce((sum, r) => sum + (r.naive?.estimate ?? 0) - r.truth, 0) /
        naiveEffect.reduce((sum, r) => sum + r.truth, 0),
    },
  };
}
