import { upperTail } from '../spikes/count-tail';

/** Fewer of a reason's tested weeks outside an event's than this, and it is not tested. */
export const MIN_REFERENCE_WEEKS = 8;

/** A reason's stored weeks: contacts, the event-free baseline and each week's status. */
export type WeekSeries = { observed: number[]; expected: number[]; status: string };

/**
 * One-sided p-value that the weeks an event group touches (`inside`, by week index) held more
 * contacts for a reason than its baseline leads one to expect, judged against the reason's
 * other tested weeks of the window rather than the baseline alone:
 *   - the baseline is scaled by the other weeks' observed/expected ratio, so a baseline that
 *     runs low all window long, or other events lifting the reason, do not count for this one;
 *   - the spread is the other weeks' (quasi-Poisson dispersion, at least Poisson), so noise
 *     the baseline does not model widens the test instead of passing as excess;
 *   - the scale's own uncertainty widens it again (by the share of weeks inside);
 * and the summed count is tested under a negative binomial with that mean and variance (the
 * detector's mid-p tail). Undefined when there is too little to compare with.
 */
export function excessPValue(row: WeekSeries, inside: Uint8Array): number | undefined {
  let observedIn = 0;
  let expectedIn = 0;
  let observedOut = 0;
  let expectedOut = 0;
  let weeksOut = 0;
  for (let w = 0; w < inside.length; w++) {
    if (row.status[w] !== 't') continue;
    const observed = row.observed[w] ?? 0;
    const expected = row.expected[w] ?? 0;
    if (inside[w]) {
      observedIn += observed;
      expectedIn += expected;
    } else {
      observedOut += observed;
      expectedOut += expected;
      weeksOut++;
    }
  }
  if (weeksOut < MIN_REFERENCE_WEEKS || expectedOut <= 0 || expectedIn <= 0) return undefined;
  const level = Math.max(observedOut, 0.5) / expectedOut;
  let pearson = 0;
  for (let w = 0; w < inside.length; w++) {
    if (row.status[w] !== 't' || inside[w]) continue;
    const mean = Math.max(level * (row.expected[w] ?? 0), 0.5);
    pearson += ((row.observed[w] ?? 0) - mean) ** 2 / mean;
  }
  const dispersion = Math.max(1, pearson / (weeksOut - 1));
  return upperTail(observedIn, level * expectedIn, dispersion * (1 + expectedIn / expectedOut));
}

/**
 * Benjamini–Hochberg adjusted p-values (q-values) of `pValues`, out of `tested` hypotheses in
 * all (those not given count as p = 1): a finding with q ≤ α is reported at false-discovery
 * rate α across everything tested.
 */
export function adjustedPValues(pValues: number[], tested: number): number[] {
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(pValues.length);
  let running = 1;
  for (let rank = order.length; rank >= 1; rank--) {
    const entry = order[rank - 1];
    if (!entry) continue;
    running = Math.min(running, (entry.p * tested) / rank);
    adjusted[entry.i] = running;
  }
  return adjusted;
}
