import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, emptyMoments } from '../../../src/modules/impact/account-moments';
import type {
  CampaignMeasurement,
  GroupMeasurement,
} from '../../../src/modules/impact/campaign-measurements';
import { emptyAccountSums } from '../../../src/modules/impact/companion-metrics';
import { noContacts } from '../../../src/modules/reports/period-metrics';
import { MAX_REPORT_CAMPAIGNS } from '../../../src/modules/reports/prevented-contacts-report.service';
import {
  assembleReport,
  type ReportCampaignRow,
} from '../../../src/modules/reports/report-assembly';
import { reportCsv } from '../../../src/modules/reports/report-csv';
import { renderReportPage } from '../../../src/modules/reports/report-page';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

type Counts = { target: number; every: number };

/** A group of accounts whose counts cycle through `pattern`, all with 3-week windows. */
function measuredGroup(accounts: number, pattern: Counts[]): GroupMeasurement {
  const moments = emptyMoments();
  let contacts = 0;
  let targetContacts = 0;
  for (let i = 0; i < accounts; i++) {
    const { target, every } = pattern[i % pattern.length] as Counts;
    addAccount(moments, [target, every, 0, 0, 3]);
    contacts += every;
    targetContacts += target;
  }
  return {
    accounts,
    moments,
    contacts,
    targetContacts,
    recontacts: 0,
    resolved: 0,
    csat: { responses: 0, satisfied: 0 },
    perAccount: { recontacts: emptyAccountSums(), csat: emptyAccountSums() },
    firstResponse: { answered: 0, medianHours: null, p90Hours: null },
    churned: 0,
    downgraded: 0,
    emailedAnyway: 0,
  };
}

const measurement = (treated: GroupMeasurement, holdout: GroupMeasurement) =>
  ({ groups: { treated, holdout }, weeks: new Map(), reasons: new Map() }) as CampaignMeasurement;

const campaign = (id: string): ReportCampaignRow => ({
  id,
  title: id,
  channels: ['banner'],
  startsAt: new Date('2026-03-02T09:00:00Z'),
  endsAt: new Date('2026-03-09T09:00:00Z'),
  publishedAt: new Date('2026-03-01T09:00:00Z'),
  cancelledAt: null,
  firstEmailAt: null,
  updatedAt: new Date('2026-03-01T09:00:00Z'),
  targetReasons: ['billing'],
  holdoutPercent: 20,
  eventId: null,
  origin: 'manual',
});

describe("the report's totals", () => {
  it('sums target and shifted contacts over the same campaigns, so "of which shifted" holds', () => {
    // Both answered: billing halves, nothing moves elsewhere.
    const both = measurement(
      measuredGroup(2_000, [
        { target: 1, every: 2 },
        { target: 0, every: 0 },
        { target: 0, every: 1 },
        { target: 0, every: 0 },
      ]),
      measuredGroup(2_000, [
        { target: 1, every: 2 },
        { target: 0, every: 0 },
        { target: 1, every: 2 },
        { target: 0, every: 0 },
      ]),
    );
    // Target answered, net refused: one held-out account in 100 wrote 60 times about other things.
    const targetOnly = measurement(
      measuredGroup(800, [
        { target: 1, every: 1 },
        { target: 0, every: 0 },
        { target: 0, every: 0 },
        { target: 0, every: 0 },
      ]),
      measuredGroup(200, [
        { target: 1, every: 60 },
        ...Array.from({ length: 99 }, (_, i) => ({ target: i % 2, every: i % 2 })),
      ]),
    );
    // Net answered, target refused: a target contact in one held-out account of 100.
    const netOnly = measurement(
      measuredGroup(800, [
        { target: 0, every: 1 },
        { target: 0, every: 0 },
      ]),
      measuredGroup(200, [
        { target: 1, every: 1 },
        ...Array.from({ length: 99 }, (_, i) => ({ target: 0, every: i % 2 })),
      ]),
    );
    const report = assembleReport({
      fromDay: '2026-03-01',
      toDay: '2026-03-31',
      zone: 'UTC',
      currency: 'USD',
      perTicket: 900,
      windowDays: 14,
      now: new Date('2026-04-15T00:00:00Z'),
      campaigns: [campaign('both'), campaign('target-only'), campaign('net-only')],
      stored: new Map(),
      measured: new Map([
        ['both', both],
        ['target-only', targetOnly],
        ['net-only', netOnly],
      ]),
      observational: new Map(),
      period: { total: noContacts(), byReason: new Map(), byWeek: new Map() },
    });
    const [first, second, third] = report.campaigns;
    expect(first?.shifted).not.toBeNull();
    expect(second?.target_prevented?.estimate).toBeGreaterThan(100);
    expect(second?.prevented).toBeNull();
    expect(third?.prevented).not.toBeNull();
    expect(third?.target_prevented).toBeNull();
    const { totals } = report;
    expect(totals.prevented?.estimate).toBeCloseTo(
      (first?.prevented?.estimate ?? 0) + (third?.prevented?.estimate ?? 0),
      9,
    );
    // Target contacts prevented, of which shifted: over the campaigns with both answers, so
    // what is left is their net prevented contacts.
    expect(totals.target_prevented?.estimate).toBeCloseTo(
      first?.target_prevented?.estimate ?? 0,
      9,
    );
    expect(
      (totals.target_prevented?.estimate ?? NaN) - (totals.shifted?.estimate ?? NaN),
    ).toBeCloseTo(first?.prevented?.estimate ?? 0, 9);
  });
});

/** Billing halves among 2,000 treated accounts; 1 in 100 churned, 2 in 100 held out. */
const answered = () =>
  measurement(
    {
      ...measuredGroup(2_000, [
        { target: 1, every: 2 },
        { target: 0, every: 0 },
        { target: 0, every: 1 },
        { target: 0, every: 0 },
      ]),
      churned: 20,
      downgraded: 10,
      resolved: 1_000,
    },
    {
      ...measuredGroup(2_000, [
        { target: 1, every: 2 },
        { target: 0, every: 0 },
        { target: 1, every: 2 },
        { target: 0, every: 0 },
      ]),
      churned: 40,
      downgraded: 10,
    },
  );

/** Refused: one held-out account in 100 wrote 60 times; half the treated accounts churned. */
const refused = () =>
  measurement(
    {
      ...measuredGroup(800, [
        { target: 1, every: 1 },
        { target: 0, every: 0 },
        { target: 0, every: 0 },
        { target: 0, every: 0 },
      ]),
      churned: 400,
      downgraded: 400,
    },
    {
      ...measuredGroup(200, [
        { target: 1, every: 60 },
        ...Array.from({ length: 99 }, (_, i) => ({ target: i % 2, every: i % 2 })),
      ]),
      churned: 0,
      downgraded: 0,
    },
  );

const OBSERVED = {
  status: 'ok',
  method: 'observational',
  expected: 194,
  observed: 122,
  prevented: { estimate: 72, low: 38, high: 108 },
  fit: { weeks: 66, level_shifts: 0, seasonal: true },
} as const;

/** A month with an answered campaign, a refused one and one without a holdout. */
const mixedReport = () =>
  assembleReport({
    fromDay: '2026-03-01',
    toDay: '2026-03-31',
    zone: 'UTC',
    currency: 'USD',
    perTicket: 900,
    windowDays: 14,
    now: new Date('2026-04-15T00:00:00Z'),
    campaigns: [
      campaign('answered'),
      campaign('refused'),
      { ...campaign('observed'), title: 'Price change', holdoutPercent: 0 },
    ],
    stored: new Map(),
    measured: new Map([
      ['answered', answered()],
      ['refused', refused()],
      ['observed', measurement(measuredGroup(10, [{ target: 0, every: 0 }]), measuredGroup(0, []))],
    ]),
    observational: new Map([['observed', OBSERVED]]),
    period: {
      total: { ...noContacts(), contacts: 300, resolved: 200 },
      byReason: new Map(),
      byWeek: new Map(),
    },
  });

describe("the report's churn and downgrade totals", () => {
  it('cover the campaigns whose net prevented contacts are in the total, not those refused', () => {
    const report = mixedReport();
    const [first, second] = report.campaigns;
    expect(first?.prevented).not.toBeNull();
    expect(second?.prevented).toBeNull();
    expect(report.totals.prevented?.estimate).toBe(first?.prevented?.estimate);
    // The answered campaign's accounts alone: the refused one's half churned is left out.
    expect(report.totals.churn_rate).toEqual({ treated: 0.01, holdout: 0.02 });
    expect(report.totals.downgrade_rate).toEqual({ treated: 0.005, holdout: 0.005 });
  });
});

describe("the report's page and CSV", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('carry the totals the JSON has, and why a campaign has no estimate', async () => {
    const report = mixedReport();
    const { totals } = report;
    const csv = parse(reportCsv(report), { columns: true }) as Record<string, string>[];
    const cell = (value: number | null) => (value === null ? '' : String(value));
    const total = csv.find((r) => r.section === 'total');
    expect(total?.cost_per_resolution_cents).toBe(cell(totals.cost_per_resolution_cents));
    for (const group of ['treated', 'holdout'] as const) {
      expect(csv.find((r) => r.section === 'total_group' && r.label === group)).toMatchObject({
        churn_rate: cell(totals.churn_rate[group]),
        downgrade_rate: cell(totals.downgrade_rate[group]),
      });
    }
    const observed = totals.prevented_observational;
    expect(observed?.estimate).toBe(72);
    expect(csv.find((r) => r.section === 'total_observational')).toMatchObject({
      method: 'observational',
      prevented: cell(observed?.estimate ?? null),
      prevented_low: cell(observed?.low ?? null),
      prevented_high: cell(observed?.high ?? null),
    });
    const refusedRow = csv.find((r) => r.section === 'campaign' && r.key === 'refused');
    expect(refusedRow?.why_no_estimate).toBe(report.campaigns[1]?.reason);
    expect(refusedRow?.why_no_estimate).not.toBe('');
    expect(refusedRow?.status).toBe('ended');
    const treatedRow = csv.find((r) => r.section === 'campaign_group' && r.key === 'answered');
    expect(treatedRow?.cost_per_resolution_cents).toBe(
      cell(report.campaigns[0]?.treated.cost_per_resolution_cents ?? null),
    );

    const markup = await renderReportPage(t.deps, report);
    const tiles = markup.slice(markup.indexOf('aria-label="Totals"'));
    expect(tiles).toContain('measured against holdouts: 1 of 3 campaigns');
    expect(tiles).toContain('1.0% / 2.0%</b><span>churned in the window, treated / held out');
    expect(tiles).toContain('(downgraded 0.5% / 0.5%), of the 1 campaign in the net total');
  });
});

describe('a campaign without a holdout in the report', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('says its prevented contacts are the target reasons’ and observational, on the page and in the CSV', async () => {
    const report = assembleReport({
      fromDay: '2026-03-01',
      toDay: '2026-03-31',
      zone: 'UTC',
      currency: 'USD',
      perTicket: 900,
      windowDays: 14,
      now: new Date('2026-04-15T00:00:00Z'),
      campaigns: [{ ...campaign('observed'), title: 'Price change', holdoutPercent: 0 }],
      stored: new Map(),
      measured: new Map([
        [
          'observed',
          measurement(measuredGroup(10, [{ target: 0, every: 0 }]), measuredGroup(0, [])),
        ],
      ]),
      observational: new Map([
        [
          'observed',
          {
            status: 'ok',
            method: 'observational',
            expected: 194,
            observed: 122,
            prevented: { estimate: 72, low: 38, high: 108 },
            fit: { weeks: 66, level_shifts: 0, seasonal: true },
          },
        ],
      ]),
      period: { total: noContacts(), byReason: new Map(), byWeek: new Map() },
    });
    const markup = await renderReportPage(t.deps, report);
    const table = markup.slice(markup.indexOf('<h2>Campaigns</h2>'));
    const row = table.slice(table.indexOf('<bdi>Price change</bdi>'));
    expect(row.slice(0, row.indexOf('</tr>'))).toMatch(
      /72\.0<br\/?><span class="label">target reasons, observational<\/span>/,
    );
    // The chart of prevented contacts per campaign, beside net figures, says it too.
    expect(markup).toContain('Price change (observational, target reasons)');
    const csv = parse(reportCsv(report), { columns: true }) as Record<string, string>[];
    const line = csv.find((r) => r.section === 'campaign');
    expect(line).toMatchObject({
      method: 'observational',
      prevented: '72',
      target_prevented: '72',
    });
  });

  it('labels its answer an observational estimate, not a holdout interval, on the page, in the JSON and CSV', async () => {
    const report = mixedReport();
    const [answered, , observed] = report.campaigns;
    expect(answered?.interval_kind).toBe('fixed_horizon');
    expect(observed?.interval_kind).toBe('simulated');
    const markup = await renderReportPage(t.deps, report);
    const table = markup.slice(markup.indexOf('<h2>Campaigns</h2>'));
    const rowOf = (title: string) => {
      const row = table.slice(table.indexOf(`<bdi>${title}</bdi>`));
      return row.slice(0, row.indexOf('</tr>'));
    };
    expect(rowOf('Price change')).toContain('ended, final, observational estimate');
    expect(rowOf('Price change')).not.toMatch(/fixed horizon|always valid/);
    expect(rowOf('answered')).toContain('ended, final (fixed horizon)');
    const csv = parse(reportCsv(report), { columns: true }) as Record<string, string>[];
    const line = (key: string) => csv.find((r) => r.section === 'campaign' && r.key === key);
    expect(line('observed')?.interval_kind).toBe('simulated');
    expect(line('answered')?.interval_kind).toBe('fixed_horizon');
  });
});

describe('a period with more campaigns than a report holds', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is refused, not summed over the first 500', async () => {
    await t.deps.db.execute(sql`
      insert into campaigns (id, channels, title, body_markdown, body_html, severity, audience,
                             created_by, starts_at, ends_at, published_at, holdout_percent)
      select gen_random_uuid(), '["banner"]'::jsonb, 'Campaign ' || g, '', '', 'info', '{"type": "all"}'::jsonb, 'test',
             timestamptz '2026-03-02T09:00:00Z' + g * interval '1 minute',
             timestamptz '2026-03-09T09:00:00Z', timestamptz '2026-03-01T09:00:00Z', 10
      from generate_series(1, ${MAX_REPORT_CAMPAIGNS + 1}::int) g`);
    const analyst = await t.keyFor('analyst');
    const answer = await t.request('/v1/reports/prevented-contacts?from=2026-03-01&to=2026-03-31', {
      key: analyst,
    });
    expect(answer.status).toBe(400);
    const problem = await readJson(answer);
    expect(problem.detail).toContain(`more than ${MAX_REPORT_CAMPAIGNS} campaigns`);
    await t.deps.db.execute(
      sql`delete from campaigns where title = ${`Campaign ${MAX_REPORT_CAMPAIGNS + 1}`}`,
    );
    const fits = await t.request('/v1/reports/prevented-contacts?from=2026-03-01&to=2026-03-31', {
      key: analyst,
    });
    expect(fits.status).toBe(200);
    expect((await readJson(fits)).totals.campaigns).toBe(MAX_REPORT_CAMPAIGNS);
  });
});

/** 1,600 treated and 400 held-out accounts with counts skewed right: a skew-corrected interval. */
const skewed = () => {
  const counts = (heavy: number) => [0, 0, 1, heavy].map((n) => ({ target: n, every: n }));
  return measurement(measuredGroup(1_600, counts(2)), measuredGroup(400, counts(3)));
};

describe('the net total of campaigns ended and running', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('adds each side of their intervals in quadrature, and says how many are still running', async () => {
    const report = assembleReport({
      fromDay: '2026-03-01',
      toDay: '2026-04-30',
      zone: 'UTC',
      currency: 'USD',
      perTicket: 900,
      windowDays: 14,
      now: new Date('2026-04-15T00:00:00Z'),
      campaigns: [
        campaign('ended'),
        { ...campaign('running'), endsAt: new Date('2026-04-20T09:00:00Z') },
      ],
      stored: new Map(),
      measured: new Map([
        ['ended', skewed()],
        ['running', skewed()],
      ]),
      observational: new Map(),
      period: { total: noContacts(), byReason: new Map(), byWeek: new Map() },
    });
    const [ended, running] = report.campaigns;
    expect([ended?.interval_kind, running?.interval_kind]).toEqual([
      'fixed_horizon',
      'always_valid',
    ]);
    const parts = report.campaigns.map((c) => c.prevented ?? { estimate: NaN, low: 0, high: 0 });
    const below = Math.hypot(...parts.map((i) => i.estimate - i.low));
    const above = Math.hypot(...parts.map((i) => i.high - i.estimate));
    // The ended campaign's interval is skew-corrected, so the two sides differ.
    expect(Math.abs(above - below)).toBeGreaterThan(1);
    const estimate = parts.reduce((sum, i) => sum + i.estimate, 0);
    const total = report.totals.prevented;
    expect(total?.estimate).toBeCloseTo(estimate, 9);
    expect(total?.low).toBeCloseTo(estimate - below, 9);
    expect(total?.high).toBeCloseTo(estimate + above, 9);
    expect(report.totals.prevented_so_far).toBe(1);

    const markup = await renderReportPage(t.deps, report);
    const tiles = markup.slice(markup.indexOf('aria-label="Totals"')).replaceAll('&#39;', "'");
    expect(tiles).toContain(
      'measured against holdouts: 2 of 2 campaigns, over their whole measurement windows ' +
        '(1 still running: so far, with the wider interval that holds however often it is read)',
    );
  });
});
