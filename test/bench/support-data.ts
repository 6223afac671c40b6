import gammaRandom from '@stdlib/random-base-gamma';
import poissonRandom from '@stdlib/random-base-poisson';
import uniformRandom from '@stdlib/random-base-uniform';
import Holidays from 'date-holidays';
import { type EventTerm, eventGroups } from '../../src/modules/spikes/detect';
import { weekdayShares, weeklyOverlap } from '../../src/modules/spikes/week-overlap';

/**
 * Support-ticket series built the way real ones arise, not the way the detector models them:
 * daily negative-binomial counts (dispersion k 2–50 per reason) summed into ISO weeks, with
 * a day-of-week profile, public holidays that push part of their volume to the next working
 * day, a year-end slump, two-harmonic seasonality with a summer bump, trend, a level break in
 * half of the reasons, a monthly billing run (days 1–3) and a yearly event with their own
 * effects, and spikes of 1.5–4x, half of them 7–10 days long from mid-week so they straddle
 * two weeks. Seeded; the truth (expected counts, variance, injected excess) is kept.
 *
 * A week is a true spike week when the injected excess in it is at least
 * `SPIKE_WEEK_SHARE` of the week's expected count; a week with a smaller injected excess is
 * ambiguous and is scored neither way.
 */

export type Tier = 'high' | 'medium' | 'low';
export const SPIKE_WEEK_SHARE = 0.3;

export type WeekTruth = 'spike' | 'null' | 'ambiguous';

export type SimulatedReason = {
  reason: string;
  tier: Tier;
  counts: number[];
  /** True expected count of each week without injected spikes (events included). */
  expected: number[];
  /** True variance of each week's count. */
  variance: number[];
  /**
   * True expected count of each week had the level never broken: what a detector could know
   * from history (shape, trend, events), without the break it can only learn as weeks come.
   */
  unbroken: number[];
  excess: number[];
  truth: WeekTruth[];
};

export type Workspace = {
  weeks: number;
  /** Monday of week 0 (UTC). */
  start: string;
  reasons: SimulatedReason[];
  events: EventTerm[];
  /** Weeks no calendar event touches. */
  eventFree: boolean[];
};

const BASE_RANGE: Record<Tier, [number, number]> = {
  high: [60, 200],
  medium: [10, 30],
  low: [0.3, 3],
};
const DOW = [1.3, 1.25, 1.15, 1.1, 0.95, 0.15, 0.1];
const DAY_MS = 86_400_000;
const START = Date.UTC(2022, 0, 3);

export function simulateWorkspace(options: {
  seed: number;
  years?: number;
  perTier?: number;
  spikesPerYear?: number;
}): Workspace {
  const years = options.years ?? 3;
  const perTier = options.perTier ?? 20;
  const spikesPerYear = options.spikesPerYear ?? 1.5;
  const weeks = Math.round(years * 52.1775);
  const days = weeks * 7;
  const u = uniformRandom.factory(0, 1, { seed: options.seed });
  const pois = poissonRandom.factory({ seed: options.seed + 1 });
  const gam = gammaRandom.factory({ seed: options.seed + 2 });
  const between = (lo: number, hi: number) => lo + (hi - lo) * u();
  const logBetween = (lo: number, hi: number) => Math.exp(between(Math.log(lo), Math.log(hi)));
  const dateOf = (day: number) => new Date(START + day * DAY_MS);

  const holidayList = publicHolidays(days, dateOf);
  const holidays = Array.from({ length: days }, (_, d) => holidayList.some((h) => h.day === d));
  const billing = Array.from({ length: days }, (_, d) => dateOf(d).getUTCDate() <= 3);
  // A yearly event (an annual renewal, a tax deadline): five days from the 10th of a month.
  const yearlyMonth = Math.floor(between(1, 11));
  const yearly = Array.from({ length: days }, (_, d) => {
    const date = dateOf(d);
    return date.getUTCMonth() === yearlyMonth && date.getUTCDate() >= 10 && date.getUTCDate() < 15;
  });
  const touched = (flags: boolean[]) =>
    Array.from({ length: weeks }, (_, w) => flags.slice(w * 7, w * 7 + 7).some(Boolean));
  // Overlaps are filled in once the contacts are drawn: the detector learns each week's
  // day-of-week rhythm from the contacts before it, as the product does from its rollup.
  const eventDays = new Map<string, boolean[]>();
  const events: EventTerm[] = [
    {
      eventId: 'billing',
      title: 'Monthly billing run',
      kind: 'billing_run',
      groups: eventGroups({ id: 'billing', kind: 'billing_run', title: '', recurring: true }),
      overlap: [],
      reasons: [],
    },
    {
      eventId: 'yearly',
      title: 'Annual renewal',
      kind: 'price_change',
      groups: eventGroups({ id: 'yearly', kind: 'price_change', title: '', recurring: true }),
      overlap: [],
      reasons: [],
    },
    // One event per holiday and year, as `POST /v1/events/holidays` imports them.
    ...holidayList.map(({ day, name }) => {
      const title = `${name} (US)`;
      const id = `holiday-${day}`;
      return {
        eventId: id,
        title,
        kind: 'holiday',
        groups: eventGroups({ id, kind: 'holiday', title, recurring: false }),
        overlap: [],
        reasons: [],
      };
    }),
  ];
  eventDays.set('billing', billing);
  eventDays.set('yearly', yearly);
  for (const { day } of holidayList) {
    eventDays.set(
      `holiday-${day}`,
      Array.from({ length: days }, (_, d) => d === day),
    );
  }
  const eventWeeks = [...eventDays.values()].map(touched);
  const eventFree = Array.from({ length: weeks }, (_, w) => eventWeeks.every((e) => !e[w]));
  const weekdayContacts = Array.from({ length: weeks }, () => [0, 0, 0, 0, 0, 0, 0]);

  const reasons: SimulatedReason[] = [];
  for (const tier of ['high', 'medium', 'low'] as const) {
    for (let i = 0; i < perTier; i++) {
      const base = logBetween(...BASE_RANGE[tier]) / 7;
      const k = logBetween(2, 50);
      const dow = DOW.map((v) => v * between(0.85, 1.15));
      const dowSum = dow.reduce((a, b) => a + b, 0);
      const [a1, p1, a2, p2] = [
        between(0, 0.25),
        between(0, 6.3),
        between(0, 0.12),
        between(0, 6.3),
      ];
      const summer = u() < 0.5 ? between(0.2, 0.5) : 0;
      const trend = between(-0.15, 0.2);
      const breakDay = u() < 0.5 ? Math.floor(between(120, days - 60)) : -1;
      const breakFactor = u() < 0.5 ? between(0.55, 0.8) : between(1.3, 1.7);
      const billingEffect = u() < 0.4 ? between(1.3, 2.5) : 1;
      const yearlyEffect = u() < 0.3 ? between(1.5, 3) : 1;

      const mu = new Float64Array(days);
      const broken = (d: number) => breakDay >= 0 && d >= breakDay;
      for (let d = 0; d < days; d++) {
        const date = dateOf(d);
        const t = d / 365.25;
        const doy = (date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS;
        const angle = (2 * Math.PI * doy) / 365.25;
        let m = (base * 7 * (dow[(d % 7) as 0] ?? 1)) / dowSum;
        m *= Math.exp(trend * t + a1 * Math.sin(angle + p1) + a2 * Math.sin(2 * angle + p2));
        m *= 1 + summer * Math.exp(-(((doy - 200) / 20) ** 2));
        if (broken(d)) m *= breakFactor;
        if (isYearEnd(date)) m *= 0.55;
        if (billing[d]) m *= billingEffect;
        if (yearly[d]) m *= yearlyEffect;
        mu[d] = m;
      }
      // A holiday keeps 15% of its volume; 60% of the rest arrives the next working day.
      for (let d = 0; d < days; d++) {
        if (!holidays[d]) continue;
        const lost = (mu[d] ?? 0) * 0.85;
        mu[d] = (mu[d] ?? 0) * 0.15;
        let next = d + 1;
        while (next < days && (holidays[next] || next % 7 >= 5)) next++;
        if (next < days) mu[next] = (mu[next] ?? 0) + lost * 0.6;
      }

      const spikeMu = new Float64Array(days);
      const spikes = Math.round(spikesPerYear * years * between(0.5, 1.5));
      for (let s = 0; s < spikes; s++) {
        const multiplier = between(1.5, 4);
        let first: number;
        let length: number;
        if (u() < 0.5) {
          // Long: 7–10 days from a Wednesday, Thursday or Friday.
          first = Math.floor(between(0, weeks - 2)) * 7 + 2 + Math.floor(between(0, 3));
          length = 7 + Math.floor(between(0, 4));
        } else {
          // Short: 3–7 days inside one ISO week.
          length = 3 + Math.floor(between(0, 5));
          first = Math.floor(between(0, weeks)) * 7 + Math.floor(between(0, 8 - length));
        }
        for (let d = first; d < Math.min(days, first + length); d++) {
          spikeMu[d] = (spikeMu[d] ?? 0) + (mu[d] ?? 0) * (multiplier - 1);
        }
      }

      const counts: number[] = [];
      const expected: number[] = [];
      const unbroken: number[] = [];
      const variance: number[] = [];
      const excess: number[] = [];
      const truth: WeekTruth[] = [];
      for (let w = 0; w < weeks; w++) {
        let count = 0;
        let mean = 0;
        let v = 0;
        let extra = 0;
        let withoutBreak = 0;
        for (let d = w * 7; d < w * 7 + 7; d++) {
          const m = mu[d] ?? 0;
          withoutBreak += broken(d) ? m / breakFactor : m;
          const total = m + (spikeMu[d] ?? 0);
          mean += m;
          v += m + (m * m) / k;
          extra += spikeMu[d] ?? 0;
          // Gamma–Poisson: mean total, variance total + total²/k (stdlib gamma takes a rate).
          const daily = total > 0 ? pois(gam(k, k / total)) : 0;
          count += daily;
          const week = weekdayContacts[w] as number[];
          week[d - w * 7] = (week[d - w * 7] ?? 0) + daily;
        }
        counts.push(count);
        expected.push(mean);
        unbroken.push(withoutBreak);
        variance.push(v);
        excess.push(extra);
        truth.push(extra === 0 ? 'null' : extra >= SPIKE_WEEK_SHARE * mean ? 'spike' : 'ambiguous');
      }
      reasons.push({
        reason: `${tier}-${i}`,
        tier,
        counts,
        expected,
        variance,
        unbroken,
        excess,
        truth,
      });
    }
  }
  const starts = Array.from({ length: weeks }, (_, w) => START + w * 7 * DAY_MS);
  const shares = weekdayShares(weekdayContacts);
  for (const event of events) {
    const windows = (eventDays.get(event.eventId) ?? []).flatMap((on, d) =>
      on ? [{ starts_at: dateOf(d).toISOString(), ends_at: dateOf(d + 1).toISOString() }] : [],
    );
    event.overlap = weeklyOverlap(windows, starts, shares);
  }
  return {
    weeks,
    start: new Date(START).toISOString().slice(0, 10),
    reasons,
    events,
    eventFree,
  };
}

function isYearEnd(date: Date): boolean {
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  return (month === 11 && day >= 23) || (month === 0 && day <= 2);
}

/** United States public holidays (those the product imports) within the simulated days. */
function publicHolidays(
  days: number,
  dateOf: (day: number) => Date,
): { day: number; name: string }[] {
  const calendar = new Holidays('US');
  const start = dateOf(0).getTime();
  const first = dateOf(0).getUTCFullYear();
  const last = dateOf(days - 1).getUTCFullYear();
  const found: { day: number; name: string }[] = [];
  for (let year = first; year <= last; year++) {
    for (const h of calendar.getHolidays(year) || []) {
      const day = Math.round((Date.parse(`${h.date.slice(0, 10)}T00:00:00Z`) - start) / DAY_MS);
      if (h.type === 'public' && day >= 0 && day < days) found.push({ day, name: h.name });
    }
  }
  return found;
}

/** The naive reference: alert when a week exceeds mean + z sd of the 8 weeks before it. */
export function naiveZScoreAlerts(counts: number[], from: number, to: number, z = 3): Set<number> {
  const alerts = new Set<number>();
  for (let w = Math.max(from, 8); w <= to; w++) {
    const window = counts.slice(w - 8, w);
    const mean = window.reduce((a, b) => a + b, 0) / window.length;
    const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1));
    if ((counts[w] ?? 0) > mean + z * Math.max(sd, 1)) alerts.add(w);
  }
  return alerts;
}
