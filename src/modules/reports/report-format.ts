/** How the report's figures read in pages and emails (en, the workspace currency). */

export const formatCount = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined
    ? '–'
    : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

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
