import normal from '@stdlib/random-base-normal';
import { describe, expect, it } from 'vitest';
import { estimateObservational } from '../../../src/modules/impact/observational-estimate';
import { HOURS_PER_WEEK, weekShare, windowShares } from '../../../src/modules/impact/week-shares';

/**
 * A seasonal weekly series (two years from the first Monday of 2024) with a fixed wobble in
 * place of noise, so the test cannot flake: 200 contacts a week, ±30% over the year.
 */
const FIRST_WEEK = '2024-01-01';
const seasonal = (week: number) =>
  Math.round(
    200 *
      Math.exp(0.3 * Math.sin((2 * Math.PI * week) / 52.18)) *
      (1 + 0.04 * Math.sin(week * 2.3)),
  );
const series = (weeks: number, level = (_: number) => 1) =>
  Array.from({ length: weeks }, (_, w) => Math.round(seasonal(w) * level(w)));

describe('estimateObservational', () => {
  it('predicts the window from the season and the level, and covers a 30% effect', () => {
    const history = series(104);
    const window = [104, 105, 106].map(seasonal);
    const usual = window.reduce((a, b) => a + b, 0);
    const result = estimateObservational({
      firstWeek: FIRST_WEEK,
      history,
      windowShares: [1, 1, 1],
      observed: Math.round(usual * 0.7),
      seed: 3,
    });
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    const truth = usual * 0.3;
    expect(result.prevented.low).toBeLessThan(truth);
    expect(result.prevented.high).toBeGreaterThan(truth);
    expect(result.prevented.low).toBeGreaterThan(0);
    expect(Math.abs(result.expected - usual) / usual).toBeLessThan(0.05);
    expect(result.fit).toMatchObject({ weeks: 104, level_shifts: 0, seasonal: true });
  });

  it('follows a level shift in the history instead of averaging over it', () => {
    // Volume rose by half 12 weeks before the campaign.
    const history = series(104, (w) => (w >= 92 ? 1.5 : 1));
    const usual = [104, 105].map((w) => seasonal(w) * 1.5).reduce((a, b) => a + b, 0);
    const result = estimateObservational({
      firstWeek: FIRST_WEEK,
      history,
      windowShares: [1, 1],
      observed: Math.round(usual),
      seed: 5,
    });
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.fit.level_shifts).toBeGreaterThanOrEqual(1);
    expect(result.prevented.low).toBeLessThan(0);
    expect(result.prevented.high).toBeGreaterThan(0);
    expect(Math.abs(result.expected - usual) / usual).toBeLessThan(0.06);
  });

  it('claims nothing prevented when volume dropped a little just before the campaign', () => {
    // Week-to-week wobble of up to 8% (in place of noise), and 10% fewer contacts from five
    // weeks before the campaign on: too small, on too few weeks, for the shift search, yet the
    // window is at the new level and the campaign changed nothing. Counting it at the old
    // level said "prevented 62 (20 to 105)".
    const noisy = (week: number) =>
      200 *
      Math.exp(0.3 * Math.sin((2 * Math.PI * week) / 52.18)) *
      (1 + 0.08 * Math.sin(week * 2.3) * Math.cos(week * 0.7));
    const history = Array.from({ length: 104 }, (_, w) =>
      Math.round(noisy(w) * (w >= 99 ? 0.9 : 1)),
    );
    const usual = [104, 105, 106, 107].map((w) => noisy(w) * 0.9).reduce((a, b) => a + b, 0);
    const result = estimateObservational({
      firstWeek: FIRST_WEEK,
      history,
      windowShares: [1, 1, 1, 1],
      observed: Math.round(usual),
      seed: 3,
    });
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.fit.level_shifts).toBe(0);
    expect(result.prevented.low).toBeLessThan(0);
    expect(result.prevented.high).toBeGreaterThan(0);
  });

  it('rarely claims savings when volume dropped 26% four weeks before the campaign', () => {
    // 60 seasonal series with 10% weekly noise (seeded), 26% fewer contacts (log −0.3) from
    // four weeks before the campaign on, and a campaign in April that changed nothing. Four
    // weeks are too few for the shift search, and under the BIC weight of a recent shift 9 of
    // the 54 answered intervals excluded 0; a 95% interval may do so in 5% of them, plus two
    // binomial standard errors (the bench's bar).
    let answered = 0;
    let alarms = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const noise = normal.factory(0, 0.1, { seed });
      const weeks = Array.from({ length: 108 }, (_, w) =>
        Math.round(
          200 *
            Math.exp(0.3 * Math.sin((2 * Math.PI * w) / 52.18) + (w >= 100 ? -0.3 : 0) + noise()),
        ),
      );
      const result = estimateObservational({
        firstWeek: '2024-04-01',
        history: weeks.slice(0, 104),
        windowShares: [1, 1, 1, 1],
        observed: weeks.slice(104).reduce((a, b) => a + b, 0),
        draws: 1_000,
        seed,
      });
      if (result.status !== 'ok') continue;
      answered++;
      if (result.prevented.low > 0 || result.prevented.high < 0) alarms++;
    }
    expect(answered).toBeGreaterThanOrEqual(50);
    expect(alarms / answered).toBeLessThanOrEqual(0.05 + 2 * Math.sqrt((0.05 * 0.95) / answered));
  });

  it('says so instead of a number when the series broke just before the campaign', () => {
    const history = series(104, (w) => (w >= 102 ? 2.5 : 1));
    const result = estimateObservational({
      firstWeek: FIRST_WEEK,
      history,
      windowShares: [1, 1],
      observed: 900,
    });
    expect(result).toMatchObject({ status: 'insufficient_data' });
    if (result.status === 'ok') return;
    expect(result.reason).toMatch(/broke in the last 4 weeks|predicted the 26 weeks/);
  });

  it('needs a year of history and the linked event in it', () => {
    expect(
      estimateObservational({
        firstWeek: FIRST_WEEK,
        history: series(40),
        windowShares: [1],
        observed: 1,
      }),
    ).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/52 weeks/) });
    expect(
      estimateObservational({
        firstWeek: FIRST_WEEK,
        history: series(60),
        eventOverlap: [...Array<number>(60).fill(0), 0.2],
        windowShares: [1],
        observed: 1,
      }),
    ).toMatchObject({ status: 'insufficient_data', reason: expect.stringMatching(/event/) });
  });
});

describe('weekShare', () => {
  it('counts only the part of a week inside the window, by when contacts usually come', () => {
    // Contacts only on weekdays, 9 to 17.
    const profile = Array.from({ length: HOURS_PER_WEEK }, (_, h) =>
      Math.floor(h / 24) < 5 && h % 24 >= 9 && h % 24 < 17 ? 10 : 0,
    );
    // From Thursday 13:00: Thursday's last 4 hours and Friday's 8, of 40 working hours.
    expect(weekShare(profile, 3 * 24 + 13, HOURS_PER_WEEK)).toBeCloseTo(12 / 40, 2);
    // A window that starts on Saturday expects almost nothing of that week.
    expect(weekShare(profile, 5 * 24, HOURS_PER_WEEK)).toBeLessThan(0.01);
    expect(windowShares(profile, 3, 3 * 24 + 13, 24 + 9)).toEqual([
      weekShare(profile, 3 * 24 + 13, HOURS_PER_WEEK),
      1,
      weekShare(profile, 0, 24 + 9),
    ]);
  });
});
