import { rate } from './companion-metrics';
import type { Interval } from './holdout-estimate';

/**
 * How a page reads an estimate beside its 95% interval, so the campaign impact page and the
 * leaders' report can agree. The verdict comes from the interval the page prints, not the
 * p-value, so a figure and what is said of it never disagree.
 */

/**
 * Whether the interval leaves room for no effect at all: it holds zero and has a width (a
 * zero-width one at zero is an exact none, e.g. no contacts shifted when every contact is a
 * target-reason one).
 */
export const indistinguishableFromNone = (interval: Interval) =>
  interval.low <= 0 && interval.high >= 0 && interval.high > interval.low;

/** What is said beside such an estimate, its interval's ends as the page formats them. */
export const notDistinguishableText = (low: string, high: string) =>
  `not distinguishable from no effect: the 95% interval runs from ${low} to ${high}`;

export type RateInterval = { estimate: number | null; low: number | null; high: number | null };

/**
 * The deflection rate, prevented / (treated contacts + prevented), with the interval that net
 * prevented's gives it: the rate rises with prevented while the denominator is positive, so
 * the interval's ends map to the rate's. An end at which the treated accounts would have made
 * no contacts at all bounds nothing: null (the rate is unbounded that way).
 */
export function deflectionInterval(prevented: Interval, treatedContacts: number): RateInterval {
  const at = (value: number) => rate(value, treatedContacts + value);
  return { estimate: at(prevented.estimate), low: at(prevented.low), high: at(prevented.high) };
}
