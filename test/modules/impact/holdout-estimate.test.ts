import { describe, expect, it } from 'vitest';
import {
  addAccount,
  emptyMoments,
  type Moments,
} from '../../../src/modules/impact/account-moments';
import { sequenceBoundary, sequencePValue } from '../../../src/modules/impact/confidence-sequence';
import {
  type EffectEstimate,
  estimateWithHoldout,
  type Timing,
} from '../../../src/modules/impact/holdout-estimate';

const FINAL: Timing = { final: true, elapsedDays: 28, windowDays: 28 };

type Account = { target: number; every: number; preTarget?: number; preEvery?: number };

/** A group's moments from its accounts, all with 4-week windows. */
function group(accounts: Account[]): Moments {
  const moments = emptyMoments();
  for (const a of accounts) {
    addAccount(moments, [a.target, a.every, (a.preTarget ?? 0) / 2, (a.preEvery ?? 0) / 2, 4]);
  }
  return moments;
}

/** n accounts whose counts cycle through `pattern` (deterministic, so the test cannot flake). */
const cycle = (n: number, pattern: ((i: number) => Account)[]) =>
  Array.from({ length: n }, (_, i) => (pattern[i % pattern.length] as (i: number) => Account)(i));

const ok = (answer: unknown) => {
  expect(answer).toMatchObject({ status: 'ok' });
  return answer as EffectEstimate;
};

describe('estimateWithHoldout', () => {
  it('refuses a held-out group with no contacts instead of calling it a certain zero', () => {
    // The case: 10 contacts among 950 treated, none among 50 held out.
    const treated = group(
      cycle(950, [(i) => (i < 10 ? { target: 1, every: 1 } : { target: 0, every: 0 })]),
    );
    const holdout = group(cycle(50, [() => ({ target: 0, every: 0 })]));
    const answer = estimateWithHoldout(treated, holdout, FINAL);
    expect(answer.net).toMatchObject({ status: 'insufficient_data' });
    if (answer.net.status !== 'insufficient_data') return;
    expect(answer.net.reason).toMatch(/0 contacts among 50 held-out accounts, 10 among 950/);
    expect(answer.net.needed.moreWeeks ?? answer.net.needed.holdoutAccounts).toBeGreaterThan(0);
    expect(answer.net.reason).toMatch(/window about \d+ week\(s\) longer|group of about/);
  });

  it('says how many more weeks a running campaign needs at its current rate', () => {
    const pattern = [
      () => ({ target: 1, every: 1 }),
      ...Array.from({ length: 19 }, () => () => ({ target: 0, every: 0 })),
    ];
    const answer = estimateWithHoldout(group(cycle(2_000, pattern)), group(cycle(100, pattern)), {
      final: false,
      elapsedDays: 7,
      windowDays: 28,
    });
    expect(answer.net.status).toBe('insufficient_data');
    if (answer.net.status !== 'insufficient_data') return;
    expect(answer.net.needed.moreWeeks).toBeGreaterThan(0);
    expect(answer.net.reason).toMatch(/about \d+ more week\(s\) at the current rate/);
  });

  it('tells a tiny holdout of single contacts how much longer would do, not a group of 10^17', () => {
    // 60 accounts, 5 held out; one target contact in every fourth account, none more: the
    // counts are as even as counts get, so a longer window makes the means normal.
    const pattern = [
      () => ({ target: 1, every: 1 }),
      () => ({ target: 0, every: 0 }),
      () => ({ target: 0, every: 0 }),
      () => ({ target: 0, every: 0 }),
    ];
    const answer = estimateWithHoldout(group(cycle(55, pattern)), group(cycle(5, pattern)), FINAL);
    expect(answer.target.status).toBe('insufficient_data');
    if (answer.target.status !== 'insufficient_data') return;
    expect(answer.target.needed.moreWeeks).toBeGreaterThan(0);
    expect(answer.target.needed.moreWeeks).toBeLessThan(104);
    expect(answer.target.reason).toMatch(/a window about \d+ week\(s\) longer/);
  });

  it('asks for a group it could reach when more weeks would not do', () => {
    // 10 single contacts among 1,000 accounts, 50 held out: years would not make the held-out
    // mean normal; the group that would at this window's length is about (skewness / 0.2)².
    const treated = group(
      cycle(950, [(i) => (i < 10 ? { target: 1, every: 1 } : { target: 0, every: 0 })]),
    );
    const holdout = group(cycle(50, [() => ({ target: 0, every: 0 })]));
    const answer = estimateWithHoldout(treated, holdout, FINAL);
    if (answer.net.status !== 'insufficient_data') throw new Error('expected a refusal');
    expect(answer.net.needed.moreWeeks).toBeNull();
    // Skewness of a 1% Bernoulli: 0.98 / √0.0099 ≈ 9.85, so about 2,400 accounts.
    expect(answer.net.needed.holdoutAccounts).toBeGreaterThan(1_500);
    expect(answer.net.needed.holdoutAccounts).toBeLessThan(4_000);
  });

  it('says the accounts made contacts when they only all made the same number', () => {
    const every = () => ({ target: 1, every: 1 });
    const answer = estimateWithHoldout(group(cycle(70, [every])), group(cycle(30, [every])), FINAL);
    expect(answer.net.status).toBe('insufficient_data');
    if (answer.net.status !== 'insufficient_data') return;
    expect(answer.net.reason).not.toMatch(/no contacts yet/);
    expect(answer.net.reason).toMatch(
      /every account made the same number of contacts \(30 contacts among 30 held-out accounts, 70 among 70 treated\)/,
    );
  });

  it('refuses a tiny holdout whose accounts all made the same number of contacts', () => {
    // Half the treated accounts wrote once; all 5 held-out ones did. With no spread among them
    // the held-out mean looked exact (27.5 prevented, p < 1e-9), though 5 accounts that each
    // write with a chance of one half all do once in 32 campaigns.
    const treated = group(
      cycle(55, [() => ({ target: 1, every: 1 }), () => ({ target: 0, every: 0 })]),
    );
    const holdout = group(cycle(5, [() => ({ target: 1, every: 1 })]));
    const answer = estimateWithHoldout(treated, holdout, FINAL);
    expect(answer.net.status).toBe('insufficient_data');
    if (answer.net.status !== 'insufficient_data') return;
    expect(answer.net.reason).toMatch(
      /the 5 held-out accounts all made the same number of contacts/,
    );
  });

  it('estimates net, target and shifted contacts when the campaign moves contacts to another reason', () => {
    // Held out: a billing contact every other account, a shipping one every fourth. Treated:
    // a billing contact every fifth account; the ones that went are shipping contacts now.
    const holdout = group(
      cycle(4_000, [
        () => ({ target: 1, every: 2 }),
        () => ({ target: 0, every: 0 }),
        () => ({ target: 1, every: 1 }),
        () => ({ target: 0, every: 0 }),
      ]),
    );
    const treated = group(
      cycle(4_000, [
        () => ({ target: 1, every: 2 }),
        () => ({ target: 0, every: 0 }),
        () => ({ target: 0, every: 1 }),
        () => ({ target: 0, every: 0 }),
      ]),
    );
    const answer = estimateWithHoldout(treated, holdout, FINAL);
    const target = ok(answer.target);
    const net = ok(answer.net);
    const shifted = ok(answer.shifted);
    expect(target.prevented.estimate).toBeCloseTo(1_000, 6);
    expect(net.prevented.estimate).toBeCloseTo(0, 6);
    expect(net.prevented.low).toBeLessThan(0);
    expect(net.prevented.high).toBeGreaterThan(0);
    expect(shifted.prevented.estimate).toBeCloseTo(1_000, 6);
    expect(shifted.prevented.low).toBeGreaterThan(0);
    expect(answer.kind).toBe('fixed_horizon');
  });

  it("narrows the interval with each account's own pre-period contacts", () => {
    // Heavy accounts stay heavy: what they did before exposure predicts the window.
    const heavy = (target: number) => ({ target, every: target, preTarget: 8, preEvery: 8 });
    const light = (target: number) => ({ target, every: target, preTarget: 0, preEvery: 0 });
    const treated = group(
      cycle(3_000, [
        () => heavy(3),
        () => heavy(4),
        () => light(0),
        () => light(0),
        () => light(1),
      ]),
    );
    const holdout = group(
      cycle(1_000, [
        () => heavy(4),
        () => heavy(5),
        () => light(0),
        () => light(0),
        () => light(1),
      ]),
    );
    const answer = estimateWithHoldout(treated, holdout, FINAL);
    const net = ok(answer.net);
    expect(net.unadjusted.high - net.unadjusted.low).toBeGreaterThan(
      2 * (net.prevented.high - net.prevented.low),
    );
    expect(net.prevented.low).toBeGreaterThan(0);
    expect(answer.detectable.net.adjusted).toBeLessThan(answer.detectable.net.unadjusted ?? 0);
    // Treated accounts made 1.6 contacts each against 2.0 held out: 1,200 prevented.
    expect(net.prevented.estimate).toBeCloseTo(1_200, 0);
    expect(net.expectedWithout).toBeCloseTo(6_000, 0);
    expect(net.lift?.estimate).toBeCloseTo(0.2, 6);
  });

  it("widens the interval towards a few heavy accounts' tail", () => {
    // 3% of accounts write about 12 times in the window (the same 30 times before), in a
    // right-skewed spread, the rest 1 time in 20: the 1,000 held-out accounts amount to about
    // 30 equally active ones, whose mean is skewed.
    const heavy = [6, 8, 10, 12, 22].map((target) => () => ({
      target,
      every: target,
      preTarget: 30,
      preEvery: 30,
    }));
    const light = (i: number) => ({ target: i % 20 === 0 ? 1 : 0, every: i % 20 === 0 ? 1 : 0 });
    const accounts = (n: number) =>
      cycle(n, [...heavy, ...Array.from({ length: 162 }, () => light)]);
    const answer = estimateWithHoldout(group(accounts(9_000)), group(accounts(1_000)), FINAL);
    const net = ok(answer.net);
    const below = net.prevented.estimate - net.prevented.low;
    const above = net.prevented.high - net.prevented.estimate;
    // A held-out mean that drew few of the tail reads low: the truth is more often above.
    expect(above).toBeGreaterThan(1.1 * below);
    // The p-value says what the interval says: 0 inside it.
    expect(net.prevented.low).toBeLessThan(0);
    expect(net.pValue).toBeGreaterThan(0.05);
  });

  it('keeps answers read before the window closes valid under repeated looks', () => {
    const treated = group(
      cycle(3_000, [() => ({ target: 1, every: 1 }), () => ({ target: 0, every: 0 })]),
    );
    const holdout = group(
      cycle(1_000, [
        () => ({ target: 1, every: 1 }),
        () => ({ target: 1, every: 1 }),
        () => ({ target: 0, every: 0 }),
      ]),
    );
    const early = estimateWithHoldout(treated, holdout, {
      final: false,
      elapsedDays: 14,
      windowDays: 28,
    });
    const late = estimateWithHoldout(treated, holdout, FINAL);
    expect(early.kind).toBe('always_valid');
    const running = ok(early.net);
    const fixed = ok(late.net);
    expect(running.prevented.estimate).toBeCloseTo(fixed.prevented.estimate, 9);
    expect(running.prevented.high - running.prevented.low).toBeGreaterThan(
      1.4 * (fixed.prevented.high - fixed.prevented.low),
    );
    expect(running.pValue).toBeGreaterThan(fixed.pValue);
  });
});

describe('confidence sequence', () => {
  it('is wider than the fixed-horizon interval and narrowest at the window end', () => {
    const widths = [0.1, 0.25, 0.5, 0.75, 1].map(sequenceBoundary);
    for (const width of widths) expect(width).toBeGreaterThan(1.96);
    expect([...widths].sort((a, b) => b - a)).toEqual(widths);
    expect(sequenceBoundary(1)).toBeCloseTo(3.03, 1);
  });

  it('gives a p-value below 0.05 exactly when |z| crosses the boundary', () => {
    for (const share of [0.2, 0.5, 1]) {
      const boundary = sequenceBoundary(share);
      expect(sequencePValue(boundary * 1.001, share)).toBeLessThan(0.05);
      expect(sequencePValue(boundary * 0.999, share)).toBeGreaterThan(0.05);
    }
  });
});
