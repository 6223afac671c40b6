import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { consoleClient } from '../../helpers/console-client';
import { expectProblem } from '../../helpers/problem';
import { type JsonBody, readJson } from '../../helpers/read-json';
import { sharedDataHead } from '../../helpers/shared-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const REASONS = ['Finance', 'Sanitation', 'Parks', 'Utilities', 'Health', 'Education'];
/** Recurring events with no bearing on anyone's contacts: every n days, at odd hours. */
const RANDOM_PERIODS = [23, 29, 37, 41, 53, 61, 67, 79, 89, 97, 113, 131, 149, 167, 185, 199];
const BILLING_DAY_EXTRA = 10;

describe('patterns in the real ticket log', () => {
  let t: TestApp;
  let body: JsonBody;
  const randomIds = new Set<string>();
  let billingId = '';

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'America/New_York' } });
    t.clock.set('2025-02-01T12:00:00Z');
    // About four years of six reasons, newest first; and a real monthly effect on top: a
    // billing run whose bills bring a few more Finance contacts on the 2nd to 4th of each month.
    const csv = await sharedDataHead(32_000, (line) =>
      REASONS.some((reason) => line.includes(`,"${reason}",`)),
    );
    const extra: string[] = [];
    for (let month = 0; month < 12 * 5; month++) {
      for (let day = 2; day <= 4; day++) {
        const date = new Date(Date.UTC(2020, month, day)).toISOString().slice(0, 10);
        for (let k = 0; k < BILLING_DAY_EXTRA; k++) {
          extra.push(`"BILL-${date}-${k}","b${k}","Finance","Bills","Queens","${date}",""`);
        }
      }
    }
    const imported = await t.request('/v1/tickets/import?source=nyc-council', {
      method: 'POST',
      body: `${csv}${extra.join('\n')}\n`,
      headers: { 'content-type': 'text/csv' },
    });
    expect(imported.status, await imported.clone().text()).toBe(200);

    for (const [i, days] of RANDOM_PERIODS.entries()) {
      const hour = String(3 + (i % 18)).padStart(2, '0');
      const created = await t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'maintenance',
          title: `Random every ${days} days`,
          starts_at: `2020-01-${String(2 + i).padStart(2, '0')}T${hour}:00:00Z`,
          ends_at: `2020-01-${String(2 + i).padStart(2, '0')}T${hour}:30:00Z`,
          rrule: `FREQ=DAILY;INTERVAL=${days}`,
        },
      });
      expect(created.status).toBe(201);
      randomIds.add((await readJson(created)).id);
    }
    const billing = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'billing_run',
        title: 'Monthly billing run',
        starts_at: '2020-01-01T05:00:00Z',
        ends_at: '2020-01-01T09:00:00Z',
        rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
        lead_days: 1,
        lag_days: 3,
        affected_reasons: ['finance'],
      },
    });
    expect(billing.status).toBe(201);
    billingId = (await readJson(billing)).id;
    await refreshVerdicts(t.deps);
    const response = await t.request('/v1/patterns?weeks=104&limit=200');
    expect(response.status).toBe(200);
    body = await readJson(response);
  });
  afterAll(() => t.close());

  it('finds no pattern in events that bring no contacts, however many are tested', () => {
    const chance = body.patterns.filter((p: JsonBody) => randomIds.has(p.group.event_id));
    expect(chance.map((p: JsonBody) => `${p.group.title} / ${p.reason} q=${p.q_value}`)).toEqual(
      [],
    );
    expect(body.pairs_tested).toBeGreaterThanOrEqual(RANDOM_PERIODS.length * REASONS.length);
    expect(body.false_discovery_rate).toBe(0.05);
  });

  it('still finds the billing run that lifts Finance', () => {
    const billing = body.patterns.find((p: JsonBody) => p.group.event_id === billingId);
    expect(billing).toMatchObject({ reason: 'finance', group: { kind: 'billing_run' } });
    expect(billing.q_value).toBeLessThanOrEqual(0.05);
    expect(billing.p_value).toBeLessThanOrEqual(billing.q_value);
    expect(billing.occurrences_seen).toBeGreaterThanOrEqual(20);
  });

  it("gives each occurrence's own start and end, and the window counted beside them", async () => {
    const billing = body.patterns.find((p: JsonBody) => p.group.event_id === billingId);
    // The listing takes two years at most: the window is read in two halves.
    const listed: JsonBody[] = [];
    for (const [from, to] of [
      [body.from, '2024-01-01'],
      ['2024-01-01', '2025-02-01'],
    ]) {
      const page = await t.request(`/v1/events/occurrences?from=${from}&to=${to}&kind=billing_run`);
      expect(page.status).toBe(200);
      listed.push(...(await readJson(page)).data);
    }
    const own = new Map(
      listed.filter((o) => o.event_id === billingId).map((o) => [o.starts_at, o.ends_at]),
    );
    expect(billing.evidence.length).toBeGreaterThan(0);
    for (const item of billing.evidence) {
      expect(own.get(item.starts_at), item.starts_at).toBe(item.ends_at);
      expect(Date.parse(item.starts_at) - Date.parse(item.window_starts_at)).toBe(86_400_000);
      expect(Date.parse(item.window_ends_at) - Date.parse(item.ends_at)).toBe(3 * 86_400_000);
    }
  });

  it('pages through the patterns with limit and cursor, and refuses a cursor it did not issue', async () => {
    const all = await readJson(await t.request('/v1/patterns?weeks=104&limit=200'));
    expect(all.next_cursor).toBeNull();
    const seen: JsonBody[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page: JsonBody = await readJson(
        await t.request(`/v1/patterns?weeks=104&limit=1${query}`),
      );
      expect(page.patterns.length).toBeLessThanOrEqual(1);
      seen.push(...page.patterns);
      cursor = page.next_cursor;
    } while (cursor && seen.length < 50);
    expect(seen).toEqual(all.patterns);
    await expectProblem(
      await t.request('/v1/patterns?cursor=bm90LWEtY3Vyc29y'),
      400,
      'validation_failed',
    );
  });

  it('says on the console what a listed pattern means', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const page = await (await browser.get('/console/reasons')).text();
    const card = page.slice(page.indexOf('id="patterns-h"'), page.indexOf('id="calendar-h"'));
    expect(card).toContain('Monthly billing run');
    expect(card).not.toContain('Random every');
    expect(card).toMatch(/at most 5% are expected to be chance/);
  });
});
