/** How the report's figures read in pages and emails (en, the workspace currency). */

export const formatCount = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined
    ? '–'
    : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const formatPercent = (value: number | null) =>
  value === null ? '–' : `${(value * 100).toFixed(1)}%`;

export const formatMoney = (cents: number | null | undefined) =>
  cents === null || cents === undefined
    ? '–'
    : (cents / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const formatHours = (hours: number | null | undefined) =>
  hours === null || hours === undefined
    ? '–'
    : hours < 1
      ? `${Math.round(hours * 60)} min`
      : `${hours.toLocaleString('en', { maximumFractionDigits: 1 })} h`;
