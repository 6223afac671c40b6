import { describe, expect, it } from 'vitest';
import { addWeeks } from '../../../src/modules/reasons/weeks';
import {
  DEFAULT_DETECT_OPTIONS,
  type EventTerm,
  flagSpikes,
  reasonBaseline,
} from '../../../src/modules/spikes/detect';
import { calendarOf } from '../../../src/modules/spikes/season';
import { simulateWorkspace } from '../../bench/support-data';

const withNoise = (weeks: number, base: number) =>
  Array.from({ length: weeks }, (_, w) => base + ((w * 7) % 5) - 2);

function detect(series: { reason: string; counts: number[] }[], events: EventTerm[] = []) {
  const length = series[0]?.counts.length ?? 0;
  const weeks = Array.from({ length }, (_, i) => addWeeks('2020-01-06', i));
  const calendar = calendarOf(weeks, events);
  const baselines = series.map((s) => reasonBaseline(s.reason, s.counts, calendar));
  const flagged = flagSpikes(
    baselines,
    series.map((s) => s.counts),
    { from: 0, to: length - 1 },
    DEFAULT_DETECT_OPTIONS,
  );
  return {
    baselines,
    flagged: (reason: number) => flagged.filter((f) => f.reason === reason).map((f) => f.week),
  };
}

describe('spike detection', () => {
  it('calls a reason new until it has 8 weeks of contacts, and never flags it', () => {
    const counts = [...Array.from({ length: 100 }, () => 0), 4, 5, 3, 60, 5];
    const { baselines, flagged } = detect([{ reason: 'new', counts }]);
    expect(baselines[0]?.status.slice(100)).toEqual(['n', 'n', 'n', 'n', 'n']);
    expect(flagged(0)).toEqual([]);
  });

  it('starts history where the volume really starts, not at a few stray tickets', () => {
    const strays = Array.from({ length: 80 }, (_, w) => (w % 23 === 0 ? 1 : 0));
    const counts = [...strays, 30, 60, 110, 120, 140, 130];
    const { baselines, flagged } = detect([{ reason: 'covid', counts }]);
    expect(baselines[0]?.status.slice(80).every((s) => s === 'n')).toBe(true);
    expect(flagged(0)).toEqual([]);
  });

  it('uses the short baseline before 26 weeks and the count model after', () => {
    const short = [...withNoise(12, 40), 120];
    const long = [...withNoise(60, 40), 120];
    const a = detect([{ reason: 'a', counts: short }]);
    const b = detect([{ reason: 'b', counts: long }]);
    expect(a.flagged(0)).toEqual([12]);
    expect(a.baselines[0]?.stage[12]).toBe('short');
    expect(b.flagged(0)).toEqual([60]);
    expect(b.baselines[0]?.stage[60]).toBe('model');
    expect(b.baselines[0]?.expected[60]).toBeGreaterThan(36);
    expect(b.baselines[0]?.expected[60]).toBeLessThan(44);
  });

  it('respects counts: 1 → 3 is noise for a quiet reason, 1 → 12 is not', () => {
    const quiet = Array.from({ length: 80 }, (_, w) => (w % 3 === 0 ? 2 : w % 3 === 1 ? 1 : 0));
    expect(detect([{ reason: 'q', counts: [...quiet, 3] }]).flagged(0)).toEqual([]);
    expect(detect([{ reason: 'q', counts: [...quiet, 12] }]).flagged(0)).toEqual([80]);
  });

  it('asks more of a reason that rises alone the more reasons are tested that week', () => {
    const rise = [...withNoise(60, 20), 33];
    const steady = [...withNoise(60, 20), 20];
    expect(detect([{ reason: 'a', counts: rise }]).flagged(0)).toEqual([60]);
    const crowd = detect([
      { reason: 'a', counts: rise },
      ...Array.from({ length: 59 }, (_, i) => ({ reason: `r${i}`, counts: steady })),
    ]);
    expect(crowd.flagged(0)).toEqual([]);
  });

  it('tests the third week of a sustained rise against the new level, a two-week spike against the old', () => {
    const rise = [...withNoise(60, 40), ...withNoise(6, 70)];
    const spike = [...withNoise(60, 40), 75, 72, ...withNoise(4, 40)];
    const risen = detect([{ reason: 'rise', counts: rise }]);
    expect(risen.flagged(0)).toEqual([60, 61]);
    expect(risen.baselines[0]?.usual[62]).toBeGreaterThan(55);
    expect(detect([{ reason: 'spike', counts: spike }]).flagged(0)).toEqual([60, 61]);
  });

  it("tests an event week against the event's usual effect and explains the excess", () => {
    const weeks = 120;
    const overlap = Array.from({ length: weeks }, (_, w) => (w % 10 === 5 ? 1 : 0));
    const counts = Array.from(
      { length: weeks },
      (_, w) => (overlap[w] ? 90 : 30) + ((w * 7) % 5) - 2,
    );
    counts[115] = 160;
    counts[112] = 80;
    const event: EventTerm = {
      eventId: 'e1',
      title: 'Price change',
      kind: 'price_change',
      groups: ['event:e1'],
      overlap,
      reasons: [],
    };
    const { baselines, flagged } = detect([{ reason: 'billing', counts }], [event]);
    const b = baselines[0];
    // A usual event week is not a spike; a much bigger one is, with the usual part explained.
    expect(flagged(0).filter((w) => w >= 100)).toEqual([112, 115]);
    expect(b?.usual[105]).toBeGreaterThan(80);
    const explained = b?.explanations.get(115);
    expect(explained?.attributions).toEqual([
      expect.objectContaining({ eventId: 'e1', method: 'model' }),
    ]);
    expect(explained?.attributions[0]?.contacts).toBeGreaterThan(45);
    expect(explained?.unexplained).toBeGreaterThan(50);
    expect(b?.explanations.get(112)?.attributions).toEqual([]);
  });

  it('finds injected spikes in simulated busy series among 60 reasons, with few false alerts', () => {
    const ws = simulateWorkspace({ seed: 3 });
    const all = ws.reasons;
    const weeks = Array.from({ length: ws.weeks }, (_, i) => addWeeks(ws.start, i));
    const calendar = calendarOf(weeks, ws.events);
    const baselines = all.map((r) => reasonBaseline(r.reason, r.counts, calendar));
    const high = all.map((r) => (r.tier === 'high' ? r : undefined));
    const flagged = flagSpikes(
      baselines,
      all.map((r) => r.counts),
      { from: 52, to: ws.weeks - 1 },
      DEFAULT_DETECT_OPTIONS,
    );
    const hits = flagged.filter((f) => high[f.reason]?.truth[f.week] === 'spike').length;
    const falseAlerts = flagged.filter((f) => high[f.reason]?.truth[f.week] === 'null').length;
    const spikes = high.reduce(
      (sum, r) => sum + (r?.truth.slice(52).filter((t) => t === 'spike').length ?? 0),
      0,
    );
    expect(hits / spikes).toBeGreaterThan(0.4);
    expect(falseAlerts / (20 * 2)).toBeLessThanOrEqual(0.5);
  });
});
