import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { signZendeskPayload } from '../../src/modules/zendesk/zendesk-signature';
import { expectProblem } from '../helpers/problem';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

const SECRET = 'a-zendesk-signing-secret';
const SENT_AT = '2026-02-10T09:00:01Z';

/**
 * A misspelt field used to be dropped, and the request went on as if it had not been sent:
 * `reasons` for `affected_reasons` made an event that affects nothing.
 */
describe('a JSON body with a field the route does not take', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ZENDESK_WEBHOOK_SECRET: SECRET } });
    t.clock.set('2026-02-10T09:05:00Z');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate events, campaigns, accounts, tickets cascade`);
  });

  const count = async (table: string) =>
    Number(
      rowsOf<{ n: number }>(
        await t.deps.db.execute(sql.raw(`select count(*)::int as n from ${table}`)),
      )[0]?.n,
    );

  it('is a 400 naming each unknown key with a likely meant one, and stores nothing', async () => {
    const response = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'billing_run',
        title: 'Monthly billing run',
        starts_at: '2026-01-01T06:00:00Z',
        ends_at: '2026-01-01T12:00:00Z',
        reasons: ['billing'],
        colour: 'red',
      },
    });
    const problem = await expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([
      {
        location: 'body',
        path: 'reasons',
        message: 'unknown field; did you mean affected_reasons?',
      },
      { location: 'body', path: 'colour', message: 'unknown field' },
    ]);
    expect(await count('events')).toBe(0);
  });

  it('names an unknown key inside a nested object by its full path', async () => {
    const response = await t.request('/v1/campaigns', {
      method: 'POST',
      json: {
        channels: ['banner'],
        title: 'Maintenance on Sunday',
        body: 'The dashboard is read-only.',
        severity: 'maintenance',
        starts_at: '2026-03-03T00:00:00Z',
        ends_at: '2026-03-08T04:00:00Z',
        audience: { type: 'all', everyone: true },
        email: { templat: 'maintenance' },
      },
    });
    const problem = await expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        {
          location: 'body',
          path: 'email.templat',
          message: 'unknown field; did you mean template?',
        },
        { location: 'body', path: 'audience.everyone', message: 'unknown field' },
      ]),
    );
    expect(await count('campaigns')).toBe(0);
  });

  it('names an unknown key inside an array item by its index', async () => {
    const response = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'a-1', plan: 'pro', contact: [{ email: 'dana@a1.example' }] },
          { id: 'a-2', contacts: [{ email: 'lee@a2.example', nmae: 'Lee' }] },
        ],
      },
    });
    const problem = await expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([
      {
        location: 'body',
        path: 'accounts.0.contact',
        message: 'unknown field; did you mean contacts?',
      },
      {
        location: 'body',
        path: 'accounts.1.contacts.0.nmae',
        message: 'unknown field; did you mean name?',
      },
    ]);
    expect(await count('accounts')).toBe(0);
  });

  it('still takes the fields of Zendesk’s events forestall does not read', async () => {
    const body = JSON.stringify({
      type: 'zen:event-type:ticket.created',
      account_id: 42,
      zendesk_event_version: '2022-11-06',
      detail: {
        id: 9,
        created_at: '2026-02-09T10:00:00Z',
        organization_id: 7,
        tags: ['reason_billing'],
        priority: 'HIGH',
        via: { channel: 'web_form', source: { rel: null } },
      },
      event: { meta: { sequence: 1 } },
    });
    const response = await t.request('/v1/integrations/zendesk/webhook', {
      method: 'POST',
      key: null,
      body,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-webhook-signature-timestamp': SENT_AT,
        'x-zendesk-webhook-signature': await signZendeskPayload(SECRET, SENT_AT, body),
      },
    });
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await readJson(response)).toMatchObject({ inserted: 1 });
    expect(await count('tickets')).toBe(1);
  });
});
