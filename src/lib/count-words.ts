/** `1 row`, `2 rows`, `341,299 rows`; `plural` for nouns not made plural with an s. */
export const countOf = (n: number, noun: string, plural = `${noun}s`) =>
  `${n.toLocaleString('en')} ${n === 1 ? noun : plural}`;

/**
 * A size in words as people read it, in binary units (a 5,242,880-byte limit is 5 MB):
 * one decimal, dropped when it is zero. `up` rounds up, so a size just over a limit never
 * reads as the limit itself.
 */
export function sizeInWords(bytes: number, rounding: 'nearest' | 'up' = 'nearest'): string {
  const round = (value: number) =>
    (rounding === 'up' ? Math.ceil(value * 10) : Math.round(value * 10)) / 10;
  for (const [unit, size] of [
    ['GB', 1024 ** 3],
    ['MB', 1024 * 1024],
    ['KB', 1024],
  ] as const) {
    if (bytes >= size) return `${round(bytes / size).toLocaleString('en')} ${unit}`;
  }
  return countOf(bytes, 'byte');
}
