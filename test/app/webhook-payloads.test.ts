import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { signZendeskPayload } from '../../src/modules/zendesk/zendesk-signature';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

const SECRET = 'a-zendesk-signing-secret';
const SENT_AT = '2026-02-10T09:00:01Z';

/**
 * Deliveries Zendesk signs whose content no ticket may hold as it is. Zendesk retries a
 * refused delivery a few times and then drops it, so refusing one loses the ticket for good.
 */
describe('signed Zendesk deliveries with a reason field no ticket may hold as it is', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { ZENDESK_WEBHOOK_SECRET: SECRET, ZENDESK_REASON_FROM: 'field:type' },
    });
    t.clock.set('2026-02-10T09:05:00Z');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate tickets, reason_weeks, reason_days, reasons cascade`);
  });

  const deliver = async (id: number, type: unknown) => {
    const body = JSON.stringify({
      type: 'zen:event-type:ticket.created',
      detail: { id, created_at: '2026-02-09T10:00:00Z', organization_id: 7, type },
    });
    return t.request('/v1/integrations/zendesk/webhook', {
      method: 'POST',
      key: null,
      body,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-webhook-signature-timestamp': SENT_AT,
        'x-zendesk-webhook-signature': await signZendeskPayload(SECRET, SENT_AT, body),
      },
    });
  };
  const reasons = async () =>
    rowsOf<{ external_id: string; label: string }>(
      await t.deps.db.execute(sql`
        select t.external_id, r.label from tickets t join reasons r on r.slug = t.reason_slug
        order by t.external_id`),
    );

  it('stores a ticket whose reason is longer than a reason may be, the reason cut to 200 characters', async () => {
    // 199 letters and an emoji (two UTF-16 units) across the cut: the cut keeps whole characters.
    const long = `${'b'.repeat(199)}🧾${' and more'.repeat(40)}`;
    const first = await deliver(1, long);
    expect(first.status).toBe(200);
    expect(await readJson(first)).toMatchObject({ inserted: 1, rejected: 0 });
    expect(await reasons()).toEqual([{ external_id: '1', label: 'b'.repeat(199) }]);
    // Zendesk's retry of the same delivery is a duplicate, not a second ticket.
    expect(await readJson(await deliver(1, long))).toMatchObject({ inserted: 0, duplicates: 1 });
  });

  it('stores a ticket whose reason has no letter or digit as Unspecified', async () => {
    const answer = await deliver(2, '???');
    expect(answer.status).toBe(200);
    expect(await reasons()).toEqual([{ external_id: '2', label: 'Unspecified' }]);
  });
});
