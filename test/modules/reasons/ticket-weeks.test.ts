import { describe, expect, it } from 'vitest';
import { trailingOff } from '../../../src/modules/reasons/ticket-weeks';

const weeks = (count: number, contacts: (week: number) => number) =>
  Array.from({ length: count }, (_, w) => contacts(w));

describe('where weekly totals trail off', () => {
  it('finds the last usual week before a trail of stragglers', () => {
    const totals = [...weeks(80, (w) => 600 + (w % 7) * 20), ...weeks(30, (w) => (w % 3) + 1)];
    expect(trailingOff(totals)).toEqual({
      index: 79,
      weeks: 30,
      contacts: 60,
      usualWeekly: 660,
    });
  });

  it('keeps to the cliff when a ticket deep in a year-long trail looks usual against it', () => {
    // Deep in the trail, the year before a week of one ticket is trail too (median 0.5), and
    // the ten empty weeks after it are thin against that.
    const trail = [
      ...weeks(15, () => 40),
      ...weeks(61, (w) => (w % 2 === 0 ? 1 : 0)),
      ...weeks(10, () => 0),
    ];
    const totals = [...weeks(80, () => 500), 120, ...trail];
    expect(trailingOff(totals)).toMatchObject({ index: 80, weeks: 86, usualWeekly: 500 });
  });

  it('leaves a steady history, a slow decline and a week in progress alone', () => {
    expect(trailingOff(weeks(120, () => 300))).toBeNull();
    expect(trailingOff(weeks(150, (w) => Math.round(1000 * 0.98 ** w)))).toBeNull();
    expect(trailingOff([...weeks(100, () => 300), 12])).toBeNull();
    expect(trailingOff([...weeks(100, () => 300), 0, 0, 3])).toBeNull();
  });

  it('says nothing of a history shorter than a year', () => {
    expect(trailingOff([...weeks(30, () => 300), ...weeks(10, () => 1)])).toBeNull();
  });
});
