import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { expectProblem } from '../../helpers/problem';
import { type JsonBody, readJson } from '../../helpers/read-json';
import { sharedDataHead } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

/** New York primary and general election days in the years the data set covers. */
const ELECTION_DAYS = [
  '2016-04-19',
  '2016-06-28',
  '2016-11-08',
  '2017-09-12',
  '2017-11-07',
  '2018-06-26',
  '2018-09-13',
  '2018-11-06',
  '2019-06-25',
  '2019-11-05',
  '2020-06-23',
  '2020-11-03',
  '2021-06-22',
  '2021-11-02',
  '2022-06-28',
  '2022-08-23',
  '2022-11-08',
  '2023-06-27',
  '2023-11-07',
];

type Spike = {
  week: string;
  reason: string;
  observed: number;
  expected: number;
  events: { title: string; share: number; contacts: number }[];
  unexplained: number;
};

describe('spikes in the real ticket log', () => {
  let t: TestApp;
  let spikes: Spike[];
  let report: JsonBody;

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'America/New_York' } });
    t.clock.set('2025-02-01T12:00:00Z');
    // Contacts about voting, at the finer level: the data set's sub-reason is the reason here.
    const csv = await sharedDataHead(5_000, (line) => line.includes('"Voting Information"'));
    const imported = await t.request(
      '/v1/tickets/import?source=nyc-council&map=reason=sub_reason,sub_reason=reason',
      { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } },
    );
    expect(imported.status, await imported.clone().text()).toBe(200);
    for (const day of ELECTION_DAYS) {
      const created = await t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'other',
          title: `Election day ${day}`,
          starts_at: `${day}T10:00:00Z`,
          ends_at: `${day}T23:00:00Z`,
          // Questions about where and how to vote come in the week or two before.
          lead_days: 10,
          // Named by its label, as a user would: stored as the reason's slug.
          affected_reasons: ['Voting Information'],
        },
      });
      expect(created.status).toBe(201);
    }
    await refreshVerdicts(t.deps);
    const response = await t.request(
      '/v1/spikes?from=2016-01-04&to=2023-12-25&reason=voting-information',
    );
    expect(response.status).toBe(200);
    report = await readJson(response);
    spikes = report.spikes;
  });
  afterAll(() => t.close());

  const spikeIn = (weeks: string[]) => spikes.find((s) => weeks.includes(s.week));

  it('finds the surges before the 2020 and 2023 June primaries and ties them to the election', () => {
    for (const weeks of [
      ['2020-06-15', '2020-06-22'],
      ['2023-06-12', '2023-06-19', '2023-06-26'],
    ]) {
      const spike = spikeIn(weeks);
      expect(spike, `a spike in ${weeks.join(' or ')}`).toBeDefined();
      expect(spike?.observed).toBeGreaterThan(1.5 * (spike?.expected ?? 0));
      expect(spike?.events.map((e) => e.title).join()).toMatch(
        /Election day 20(20-06-23|23-06-27)/,
      );
      // The election's usual effect explains part; what is beyond it is said to be unexplained.
      const explained = spike?.events.reduce((sum, e) => sum + e.contacts, 0) ?? 0;
      expect(explained).toBeGreaterThan(0);
      expect(explained + (spike?.unexplained ?? 0)).toBeCloseTo(
        (spike?.observed ?? 0) - (spike?.expected ?? 0),
        0,
      );
    }
  });

  it('reports the December 2016 backfill as a data anomaly, not a spike', () => {
    expect(spikeIn(['2016-12-26'])).toBeUndefined();
    const anomaly = report.data_anomalies.find((a: { week: string }) => a.week === '2016-12-26');
    expect(anomaly?.day).toBe('2016-12-29');
    expect(anomaly?.reasons).toEqual([
      { reason: 'voting-information', contacts: expect.any(Number) },
    ]);
    expect(anomaly?.reasons[0].contacts).toBeGreaterThan(400);
  });

  it('stays quiet in ordinary weeks', () => {
    const perYear = spikes.length / 8;
    expect(perYear).toBeLessThan(6);
  });

  it('answers 404 for an unknown reason', async () => {
    await expectProblem(await t.request('/v1/spikes?reason=no-such-reason'), 404, 'not_found');
  });

  it('takes a reason by its label too, as events and campaigns do', async () => {
    const byLabel = await t.request(
      '/v1/spikes?from=2016-01-04&to=2023-12-25&reason=Voting%20Information',
    );
    expect(byLabel.status).toBe(200);
    expect(await readJson(byLabel)).toEqual(report);
  });
});

describe('data anomalies and new reasons in the real ticket log', () => {
  let t: TestApp;
  const reasons = ['COVID-19', 'Governmental Operations', 'Education', 'Land Use and Zoning'];

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'America/New_York' } });
    t.clock.set('2025-02-01T12:00:00Z');
    const csv = await sharedDataHead(40_000, (line) =>
      reasons.some((reason) => line.includes(`","${reason}","`)),
    );
    const imported = await t.request('/v1/tickets/import?source=nyc-council', {
      method: 'POST',
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(imported.status, await imported.clone().text()).toBe(200);
    const pause = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'other',
        title: 'New York State on PAUSE',
        starts_at: '2020-03-22T04:00:00Z',
        ends_at: '2020-06-08T04:00:00Z',
        affected_reasons: ['COVID-19'],
      },
    });
    expect((await readJson(pause)).affected_reasons).toEqual(['covid-19']);
    await refreshVerdicts(t.deps);
  }, 120_000);
  afterAll(() => t.close());

  it('flags the year-end backfills as data anomalies with their day and reasons, not spikes', async () => {
    const report = await readJson(await t.request('/v1/spikes?from=2015-06-01&to=2017-06-26'));
    const byDay = new Map(
      report.data_anomalies.map((a: { day: string; reasons: { reason: string }[] }) => [
        a.day,
        a.reasons.map((r) => r.reason),
      ]),
    );
    expect(byDay.get('2015-12-30')).toEqual(['governmental-operations', 'land-use-and-zoning']);
    expect(byDay.get('2016-12-29')).toEqual(['education', 'governmental-operations']);
    const backfillWeeks = ['2015-12-28', '2016-12-26'];
    expect(report.spikes.filter((s: { week: string }) => backfillWeeks.includes(s.week))).toEqual(
      [],
    );
  });

  it('calls COVID-19 new while its volume begins, not a spike, and gone quiet once it fades', async () => {
    const report = await readJson(
      await t.request('/v1/spikes?from=2020-03-09&to=2020-04-06&reason=covid-19'),
    );
    expect(report.spikes).toEqual([]);
    expect(report.insufficient_history).toEqual([
      {
        reason: 'covid-19',
        label: 'COVID-19',
        history_weeks: expect.any(Number),
        needed_weeks: 8,
        went_quiet: false,
      },
    ]);
    expect(report.insufficient_history[0].history_weeks).toBeLessThan(8);
    const later = await readJson(await t.request('/v1/spikes?from=2024-10-07&to=2025-01-06'));
    // In the log's year of stragglers it has too few weeks again: gone quiet, not new.
    expect(later.insufficient_history).toContainEqual(
      expect.objectContaining({ reason: 'covid-19', went_quiet: true }),
    );
  });
});
