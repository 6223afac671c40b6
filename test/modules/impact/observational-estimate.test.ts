import { describe, expect, it } from 'vitest';
import { estimateObservational } from '../../../src/modules/impact/observational-estimate';

// 104 weeks of 100 contacts, 150 in every fourth week (the event's week).
const overlap = Array.from({ length: 104 }, (_, w) => (w % 4 === 0 ? 1 : 0));
const history = overlap.map((o) => (o ? 150 : 100));

describe('observational estimate of prevented contacts', () => {
  it("counts the event's usual spike in the counterfactual", () => {
    const result = estimateObservational({
      history,
      historyEventOverlap: overlap,
      window: { observed: [150, 100], eventOverlap: [1, 0] },
    });
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.method).toBe('observational');
    expect(result.expected).toBeCloseTo(250, 0);
    expect(result.prevented.low).toBeLessThan(0);
    expect(result.prevented.high).toBeGreaterThan(0);
  });

  it('finds contacts prevented when the window stays below the counterfactual', () => {
    const result = estimateObservational({
      history,
      historyEventOverlap: overlap,
      window: { observed: [75, 50], eventOverlap: [1, 0] },
    });
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.prevented.estimate).toBeCloseTo(125, 0);
    expect(result.prevented.low).toBeGreaterThan(80);
    expect(result.prevented.high).toBeLessThan(170);
  });

  it('says when the history is too short or never saw the event', () => {
    expect(
      estimateObservational({
        history: history.slice(0, 10),
        historyEventOverlap: overlap.slice(0, 10),
        window: { observed: [1], eventOverlap: [1] },
      }),
    ).toMatchObject({ status: 'insufficient_data' });
    expect(
      estimateObservational({
        history,
        historyEventOverlap: history.map(() => 0),
        window: { observed: [1], eventOverlap: [1] },
      }),
    ).toMatchObject({ status: 'insufficient_data', reason: expect.stringContaining('event') });
  });
});
