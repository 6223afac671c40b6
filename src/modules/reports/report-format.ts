import type { Interval } from '../impact/holdout-estimate';

/** How the report's figures read in pages and emails (en, the workspace currency). */

/** A count to `digits` decimals; one that rounds to zero reads 0, never -0. */
export const formatCount = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined
    ? '–'
    : value.toLocaleString('en', {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
        signDisplay: 'negative',
      });

/**
 * An estimate and its interval's ends as `formatCount` writes them, except a figure that is not
 * zero but would read 0: that one gets its first significant digit (0.3, -0.4, 0.0001), so
 * rounding never puts an end on 0 or past it (an effect claimed with "0 to 10", or "-0").
 */
export function formatInterval(interval: Interval, digits = 0) {
  const figure = (value: number) => {
    const shown = formatCount(value, digits);
    return value === 0 || /[1-9]/.test(shown)
      ? shown
      : value.toLocaleString('en', { maximumSignificantDigits: 1 });
  };
  return {
    estimate: figure(interval.estimate),
    low: figure(interval.low),
    high: figure(interval.high),
  };
}

export const formatPercent = (value: number | null) =>
  value === null ? '–' : `${(value * 100).toFixed(1)}%`;

const moneyFormats = new Map<string, Intl.NumberFormat>();
const moneyFormat = (currency: string, wholeUnits: boolean) => {
  const key = `${currency}:${wholeUnits}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en', {
      style: 'currency',
      currency,
      ...(wholeUnits ? { maximumFractionDigits: 0, minimumFractionDigits: 0 } : {}),
    });
    moneyFormats.set(key, format);
  }
  return format;
};

/** Cents as money with its currency's symbol and decimals, e.g. $1,841.29. */
export const formatMoney = (cents: number | null | undefined, currency: string) =>
  cents === null || cents === undefined
    ? '–'
    : moneyFormat(currency, false).format(cents / 100 || 0);

/** Whole units of money for chart axes, e.g. $1,200. */
export const formatMoneyAxis = (units: number, currency: string) =>
  moneyFormat(currency, true).format(units);

export const formatHours = (hours: number | null | undefined) =>
  hours === null || hours === undefined
    ? '–'
    : hours < 1
      ? `${Math.round(hours * 60)} min`
      : `${hours.toLocaleString('en', { maximumFractionDigits: 1 })} h`;
