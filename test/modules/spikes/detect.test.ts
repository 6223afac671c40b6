import { describe, expect, it } from 'vitest';
import { detectSpikes, type EventTerm } from '../../../src/modules/spikes/detect';
import { simulate } from '../../bench/spike-series';

const flat = (weeks: number, value: number) => Array.from({ length: weeks }, () => value);
const withNoise = (weeks: number, base: number) =>
  Array.from({ length: weeks }, (_, w) => base + ((w * 7) % 5) - 2);

describe('detectSpikes', () => {
  it('says a reason with under 8 weeks of history cannot alert yet', () => {
    const counts = [...flat(100, 0), 4, 5, 3, 60, 5];
    const [verdict] = detectSpikes([{ reason: 'new', counts }], [], { from: 100, to: 104 });
    expect(verdict).toMatchObject({ status: 'insufficient_history', historyWeeks: 4, spikes: [] });
  });

  it('uses the EARS baseline for 8–25 weeks of history and the count model from 26', () => {
    const short = [...withNoise(12, 40), 120];
    const long = [...withNoise(60, 40), 120];
    const [a] = detectSpikes([{ reason: 'a', counts: short }], [], { from: 12, to: 12 });
    const [b] = detectSpikes([{ reason: 'b', counts: long }], [], { from: 60, to: 60 });
    expect(a?.spikes).toEqual([
      expect.objectContaining({ week: 12, observed: 120, stage: 'short' }),
    ]);
    expect(b?.spikes).toEqual([
      expect.objectContaining({ week: 60, observed: 120, stage: 'model' }),
    ]);
    expect(b?.spikes[0]?.expected).toBeGreaterThan(36);
    expect(b?.spikes[0]?.expected).toBeLessThan(44);
  });

  it('respects counts: 1 → 3 is noise for a quiet reason, 1 → 12 is not', () => {
    const quiet = Array.from({ length: 80 }, (_, w) => (w % 3 === 0 ? 2 : w % 3 === 1 ? 1 : 0));
    const noise = detectSpikes([{ reason: 'q', counts: [...quiet, 3] }], [], { from: 80, to: 80 });
    const real = detectSpikes([{ reason: 'q', counts: [...quiet, 12] }], [], { from: 80, to: 80 });
    expect(noise[0]?.spikes).toEqual([]);
    expect(real[0]?.spikes).toHaveLength(1);
  });

  it('asks more of a reason that rises alone the more reasons are tested that week', () => {
    const rise = [...withNoise(60, 20), 33];
    const steady = [...withNoise(60, 20), 20];
    const alone = detectSpikes([{ reason: 'a', counts: rise }], [], { from: 60, to: 60 });
    const crowd = detectSpikes(
      [
        { reason: 'a', counts: rise },
        ...Array.from({ length: 59 }, (_, i) => ({ reason: `r${i}`, counts: steady })),
      ],
      [],
      { from: 60, to: 60 },
    );
    expect(alone[0]?.spikes).toHaveLength(1);
    expect(crowd.every((v) => v.spikes.length === 0)).toBe(true);
  });

  it('lets a weaker rise through in a week when many reasons rise (Benjamini–Hochberg)', () => {
    const weak = [...withNoise(60, 20), 33];
    const strong = [...withNoise(60, 20), 80];
    const steady = [...withNoise(60, 20), 20];
    const week = detectSpikes(
      [
        { reason: 'weak', counts: weak },
        ...Array.from({ length: 20 }, (_, i) => ({ reason: `strong${i}`, counts: strong })),
        ...Array.from({ length: 39 }, (_, i) => ({ reason: `steady${i}`, counts: steady })),
      ],
      [],
      { from: 60, to: 60 },
    );
    const flagged = week.filter((v) => v.spikes.length > 0).map((v) => v.reason);
    expect(flagged).toContain('weak');
    expect(flagged).toHaveLength(21);
  });

  it('learns an event from earlier occurrences and attributes the excess to it', () => {
    const weeks = 120;
    const overlap = Array.from({ length: weeks }, (_, w) => (w % 10 === 5 ? 1 : 0));
    const counts = Array.from(
      { length: weeks },
      (_, w) => (overlap[w] ? 90 : 30) + ((w * 7) % 5) - 2,
    );
    counts[115] = 95;
    counts[112] = 80;
    const event: EventTerm = {
      eventId: 'e1',
      title: 'Price change',
      kind: 'price_change',
      overlap,
      reasons: [],
    };
    const [verdict] = detectSpikes([{ reason: 'billing', counts }], [event], {
      from: 110,
      to: 119,
    });
    const eventWeek = verdict?.spikes.find((s) => s.week === 115);
    expect(eventWeek?.attributions).toEqual([
      expect.objectContaining({ eventId: 'e1', method: 'model', share: expect.any(Number) }),
    ]);
    expect(eventWeek?.attributions[0]?.share).toBeGreaterThan(0.8);
    expect(eventWeek?.unexplained).toBeLessThan(10);
    const surprise = verdict?.spikes.find((s) => s.week === 112);
    expect(surprise?.attributions).toEqual([]);
    expect(surprise?.unexplained).toBeGreaterThan(40);
  });

  it('ignores an event for reasons it does not affect', () => {
    const overlap = Array.from({ length: 61 }, (_, w) => (w === 60 ? 1 : 0));
    const event: EventTerm = {
      eventId: 'e',
      title: 'Release',
      kind: 'release',
      overlap,
      reasons: ['login'],
    };
    const [verdict] = detectSpikes(
      [{ reason: 'billing', counts: [...withNoise(60, 30), 100] }],
      [event],
      { from: 60, to: 60 },
    );
    expect(verdict?.spikes[0]?.attributions).toEqual([]);
  });

  it('finds most injected spikes of 2–4x in simulated high-volume series, with few false alerts', () => {
    const sim = simulate({
      seed: 3,
      weeks: 200,
      perTier: 5,
      spikesPerYear: 3,
      spikeFrom: 104,
      multiplier: [2, 4],
    });
    const high = sim.reasons.filter((r) => r.tier === 'high');
    const verdicts = detectSpikes(high, sim.events, { from: 104, to: 199 });
    let hits = 0;
    let misses = 0;
    let falseAlerts = 0;
    high.forEach((r, i) => {
      const flagged = new Set(verdicts[i]?.spikes.map((s) => s.week));
      for (const w of r.spikeWeeks) flagged.has(w) ? hits++ : misses++;
      for (const w of flagged) if (!r.spikeWeeks.has(w)) falseAlerts++;
    });
    expect(hits / (hits + misses)).toBeGreaterThan(0.9);
    expect(falseAlerts).toBeLessThanOrEqual(2);
  });
});
