import {
  deflectionInterval,
  indistinguishableFromNone,
  notDistinguishableText,
} from '../impact/effect-reading';
import type { Interval } from '../impact/holdout-estimate';
import { formatInterval, formatMoney, formatPercent } from './report-format';

/**
 * How the leaders' report (page and digest) and the console's impact page say an estimate
 * beside its interval, in the same words; `effect-reading` decides when it could be none.
 */

/** What the totals say when no campaign is in the net total: no estimate, not a zero. */
export const NO_HOLDOUT_ESTIMATE = 'No campaign measured against a holdout in this period';

/** Net prevented contacts' interval: the 95% range, or that it could be no effect. */
export const preventedRangeText = (prevented: Interval, digits = 0) => {
  const { low, high } = formatInterval(prevented, digits);
  return indistinguishableFromNone(prevented)
    ? notDistinguishableText(low, high)
    : `95%: ${low} to ${high}`;
};

/**
 * Prevented contacts with their interval, as every channel says them (the report page, its CSV,
 * the digest and the console's impact page): "197.7 (95%: 4.7 to 408.7)", or "2.1: not
 * distinguishable from no effect: …". Totals to whole contacts, campaigns to a tenth.
 */
export const preventedText = (prevented: Interval, digits = 0) => {
  const estimate = formatInterval(prevented, digits).estimate;
  const range = preventedRangeText(prevented, digits);
  return indistinguishableFromNone(prevented) ? `${estimate}: ${range}` : `${estimate} (${range})`;
};

/** Savings with their interval; none claimed when the contacts prevented could be none. */
export const savedText = (prevented: Interval, saved: Interval, currency: string) => {
  const range = `${formatMoney(saved.low, currency)} to ${formatMoney(saved.high, currency)}`;
  return indistinguishableFromNone(prevented)
    ? `not distinguishable from ${formatMoney(0, currency)} (${range})`
    : `${formatMoney(saved.estimate, currency)} (95% interval ${range})`;
};

/** A rate's figure, or what an end with none means (see `deflectionInterval`). */
export const ratePercent = (value: number | null, unbounded: string) =>
  value === null ? unbounded : formatPercent(value);

/**
 * The deflection rate from net prevented's interval, or null when it is an achieved result
 * (the figure alone says it); while net prevented could be none, its estimate is not one.
 */
export function deflectionNoneText(prevented: Interval, treatedContacts: number): string | null {
  if (!indistinguishableFromNone(prevented)) return null;
  const rate = deflectionInterval(prevented, treatedContacts);
  return (
    `not distinguishable from none: its estimate of ${ratePercent(rate.estimate, '–')} is not ` +
    `an achieved result, its 95% interval runs from ${ratePercent(rate.low, 'unbounded below')} ` +
    `to ${ratePercent(rate.high, 'unbounded above')}`
  );
}
