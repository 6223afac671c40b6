import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { signZendeskPayload } from '../../../src/modules/zendesk/zendesk-signature';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const SECRET = 'dGhpcyBpcyBhIHplbmRlc2sgc2lnbmluZyBzZWNyZXQ=';
const PATH = '/v1/integrations/zendesk/webhook';

/** The shape Zendesk sends for zen:event-type:ticket.created. */
const ticketCreated = (id: string, detail: Record<string, unknown> = {}) => ({
  type: 'zen:event-type:ticket.created',
  account_id: 88888888,
  id: `01HN-${id}`,
  time: '2026-02-10T09:00:00Z',
  zendesk_event_version: '2022-11-06',
  subject: `zen:ticket:${id}`,
  detail: {
    id,
    status: 'NEW',
    via: { channel: 'web' },
    created_at: '2026-02-10T09:00:00Z',
    updated_at: '2026-02-10T09:00:00Z',
    organization_id: '4001',
    requester_id: '9001',
    tags: ['vip', 'reason_refund_request'],
    ...detail,
  },
  event: {},
});

describe('POST /v1/integrations/zendesk/webhook', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ZENDESK_WEBHOOK_SECRET: SECRET } });
    t.clock.set('2026-02-10T09:05:00Z');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate tickets, removed_tickets, reason_weeks, reason_days, reason_aliases, reasons cascade`,
    );
  });

  const send = async (
    payload: unknown,
    options: { secret?: string; body?: string; app?: TestApp; timestamp?: string } = {},
  ) => {
    const body = options.body ?? JSON.stringify(payload);
    const timestamp = options.timestamp ?? '2026-02-10T09:00:01Z';
    return (options.app ?? t).request(PATH, {
      method: 'POST',
      key: null,
      body,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-webhook-signature-timestamp': timestamp,
        'x-zendesk-webhook-signature': await signZendeskPayload(
          options.secret ?? SECRET,
          timestamp,
          body,
        ),
      },
    });
  };
  const stored = async () =>
    rowsOf<Record<string, unknown>>(
      await t.deps.db.execute(
        sql`select source, external_id, account_id, reason_slug, channel from tickets order by external_id`,
      ),
    );

  it.each([
    ['years old', '2023-02-10T09:00:01Z'],
    ['years ahead', '2029-02-10T09:00:01Z'],
    ['6 minutes old', '2026-02-10T08:59:00Z'],
    ['not a time', 'yesterday'],
  ])(
    'refuses a valid signature on a timestamp %s with 401, storing nothing',
    async (_, timestamp) => {
      await expectProblem(await send(ticketCreated('35436'), { timestamp }), 401, 'unauthorized');
      expect(await stored()).toEqual([]);
    },
  );

  it('ingests a signed ticket-created event, the reason from its tag', async () => {
    const response = await send(ticketCreated('35436'));
    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ inserted: 1, ignored: false });
    expect(await stored()).toEqual([
      {
        source: 'zendesk',
        external_id: '35436',
        account_id: '4001',
        reason_slug: 'refund-request',
        channel: 'web',
      },
    ]);
  });

  it('counts a retried delivery as a duplicate', async () => {
    await send(ticketCreated('35437'));
    const again = await send(ticketCreated('35437'));
    expect(await readJson(again)).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(await stored()).toHaveLength(1);
  });

  it('falls back to the requester and to "unspecified" when the event lacks them', async () => {
    await send(ticketCreated('35438', { organization_id: null, tags: ['vip'] }));
    expect(await stored()).toEqual([
      expect.objectContaining({ account_id: '9001', reason_slug: 'unspecified' }),
    ]);
  });

  it('files a ticket whose reason tag forms no slug under "unspecified", rather than refusing it', async () => {
    // Each has a letter or digit, but none that spells a slug: refused, Zendesk retries and drops.
    for (const [id, tag] of [
      ['35450', 'reason_²'],
      ['35451', 'reason_Ⅻ'],
      ['35452', 'reason_ǃ'],
    ]) {
      const response = await send(ticketCreated(String(id), { tags: [String(tag)] }));
      expect(response.status, tag).toBe(200);
    }
    expect((await stored()).map((row) => row.reason_slug)).toEqual([
      'unspecified',
      'unspecified',
      'unspecified',
    ]);
  });

  it('refuses a wrong signature and writes nothing', async () => {
    const response = await send(ticketCreated('35439'), { secret: 'someone-else' });
    await expectProblem(response, 401, 'unauthorized');
    expect(await stored()).toEqual([]);
  });

  it('checks the signature before it parses the body', async () => {
    const response = await send(null, { body: '{"not": "an event"', secret: 'someone-else' });
    await expectProblem(response, 401, 'unauthorized');
  });

  it('checks the signature over the bytes sent, a leading byte order mark included', async () => {
    const response = await send(null, { body: `\uFEFF${JSON.stringify(ticketCreated('35441'))}` });
    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ inserted: 1, ignored: false });
    expect(await stored()).toEqual([expect.objectContaining({ external_id: '35441' })]);
    // Signed over the text without its mark, it is not what was sent.
    const body = `\uFEFF${JSON.stringify(ticketCreated('35442'))}`;
    const timestamp = '2026-02-10T09:00:01Z';
    const unmarked = await t.request(PATH, {
      method: 'POST',
      key: null,
      body,
      headers: {
        'content-type': 'application/json',
        'x-zendesk-webhook-signature-timestamp': timestamp,
        'x-zendesk-webhook-signature': await signZendeskPayload(SECRET, timestamp, body.slice(1)),
      },
    });
    await expectProblem(unmarked, 401, 'unauthorized');
  });

  it('refuses a request without signature headers', async () => {
    const response = await t.request(PATH, {
      method: 'POST',
      key: null,
      json: ticketCreated('35440'),
    });
    await expectProblem(response, 401, 'unauthorized');
    expect(await stored()).toEqual([]);
  });

  it('rejects a signed body that is not a ticket event', async () => {
    await expectProblem(await send(null, { body: '{"type": ' }), 400, 'malformed_body');
    const body = await expectProblem(
      await send({ type: 'zen:event-type:ticket.created', detail: { id: '1' } }),
      400,
      'validation_failed',
    );
    expect(body.errors[0].path).toBe('detail.created_at');
    const late = await expectProblem(
      await send(ticketCreated('35441', { created_at: 'yesterday' })),
      400,
      'validation_failed',
    );
    expect(late.errors[0].path).toBe('tickets.0.created_at');
    expect(await stored()).toEqual([]);
  });

  it('takes ids as whole numbers, and refuses a number id JavaScript would round, naming it', async () => {
    const numeric = await send({
      ...ticketCreated('x'),
      detail: {
        ...ticketCreated('x').detail,
        id: 35442,
        organization_id: 4002,
        requester_id: 9002,
      },
    });
    expect(numeric.status).toBe(200);
    // 2^53 + 1 and 2^53 + 2 would both be read as 2^53: two tickets, one id.
    for (const [field, raw] of [
      ['id', '9007199254740993'],
      ['id', '1e308'],
      ['id', '35443.5'],
      ['organization_id', '9007199254740994'],
      ['requester_id', '-1.5'],
    ] as const) {
      const detail = JSON.stringify({ ...ticketCreated('35444').detail, [field]: 0 }).replace(
        `"${field}":0`,
        `"${field}":${raw}`,
      );
      const body = await expectProblem(
        await send(null, { body: `{"type":"zen:event-type:ticket.created","detail":${detail}}` }),
        400,
        'validation_failed',
      );
      expect(body.errors[0].path, raw).toBe(`detail.${field}`);
    }
    expect(await stored()).toEqual([
      expect.objectContaining({ external_id: '35442', account_id: '4002' }),
    ]);
  });

  it('refuses an organization or requester id of "." or "..", which no account URL could reach, naming the field', async () => {
    for (const detail of [
      { organization_id: '..' },
      { organization_id: null, requester_id: '.' },
    ]) {
      const body = await expectProblem(
        await send(ticketCreated('35445', detail)),
        400,
        'validation_failed',
      );
      expect(body.errors).toEqual([
        expect.objectContaining({ path: 'account_id', message: expect.stringMatching(/"\.\."/) }),
      ]);
    }
    expect(await stored()).toEqual([]);
  });

  it('acknowledges other event types without ingesting them', async () => {
    const response = await send({
      ...ticketCreated('35442'),
      type: 'zen:event-type:ticket.priority_changed',
    });
    expect(await readJson(response)).toMatchObject({ ignored: true, inserted: 0 });
    expect(await stored()).toEqual([]);
  });

  it("records an agent's first public comment as the ticket's first response", async () => {
    const comment = (time: string, isPublic: boolean, isStaff: boolean) => ({
      ...ticketCreated('35443'),
      type: 'zen:event-type:ticket.comment_added',
      time,
      event: {
        comment: {
          id: 'c1',
          body: 'On it',
          is_public: isPublic,
          author: { id: '7', is_staff: isStaff },
        },
      },
    });
    const responses = async () =>
      rowsOf<{ first_response_at: Date | string | null }>(
        await t.deps.db.execute(sql`select first_response_at from tickets`),
      ).map((r) => (r.first_response_at ? new Date(r.first_response_at).toISOString() : null));
    await send(ticketCreated('35443'));
    // The requester's own comment and an internal note are not a response.
    expect(await readJson(await send(comment('2026-02-10T09:20:00Z', true, false)))).toMatchObject({
      ignored: true,
    });
    expect(await readJson(await send(comment('2026-02-10T09:25:00Z', false, true)))).toMatchObject({
      ignored: true,
    });
    expect(await responses()).toEqual([null]);
    expect((await send(comment('2026-02-10T09:40:00Z', true, true))).status).toBe(200);
    expect(await send(comment('2026-02-10T11:00:00Z', true, true)).then(readJson)).toMatchObject({
      duplicates: 1,
    });
    // A created event delivered again keeps it.
    await send(ticketCreated('35443'));
    expect(await responses()).toEqual(['2026-02-10T09:40:00.000Z']);
  });

  it('keeps a ticket as a later event left it when its created event is delivered again', async () => {
    const reply = {
      ...ticketCreated('35445', { tags: ['reason_billing'], updated_at: '2026-02-10T09:03:00Z' }),
      type: 'zen:event-type:ticket.comment_added',
      time: '2026-02-10T09:03:00Z',
      event: { comment: { is_public: true, author: { is_staff: true } } },
    };
    const weeks = async () =>
      rowsOf<{ reason_slug: string; contacts: number }>(
        await t.deps.db.execute(
          sql`select reason_slug, contacts from reason_weeks where contacts <> 0 order by 1`,
        ),
      );
    await send(ticketCreated('35445'));
    await send(reply);
    expect(await weeks()).toEqual([{ reason_slug: 'billing', contacts: 1 }]);
    // Zendesk retries a delivery it saw fail (a timeout, a 5xx) after later events went through.
    const retried = await send(ticketCreated('35445'));
    expect(await readJson(retried)).toMatchObject({ inserted: 0, updated: 0, duplicates: 1 });
    expect(await stored()).toEqual([expect.objectContaining({ reason_slug: 'billing' })]);
    expect(await weeks()).toEqual([{ reason_slug: 'billing', contacts: 1 }]);
    // Delivered out of order, the reply stores the ticket and the created event changes nothing.
    await send({ ...reply, detail: { ...reply.detail, id: '35446' } });
    expect(await readJson(await send(ticketCreated('35446')))).toMatchObject({ duplicates: 1 });
    expect(await stored()).toEqual([
      expect.objectContaining({ external_id: '35445', reason_slug: 'billing' }),
      expect.objectContaining({ external_id: '35446', reason_slug: 'billing' }),
    ]);
  });

  it('moves a ticket to the reason its tags changed to, once however often the change is delivered', async () => {
    const weeks = async () =>
      rowsOf<{ reason_slug: string; contacts: number }>(
        await t.deps.db.execute(
          sql`select reason_slug, contacts from reason_weeks where contacts <> 0 order by 1`,
        ),
      );
    const retagged = (type: string) => ({
      ...ticketCreated('35447', { tags: ['vip', 'reason_billing'], organization_id: '4002' }),
      type,
      time: '2026-02-10T09:02:00Z',
      event: { tags_added: ['reason_billing'], tags_removed: ['reason_refund_request'] },
    });
    await send(ticketCreated('35447'));
    expect(await weeks()).toEqual([{ reason_slug: 'refund-request', contacts: 1 }]);
    const moved = await send(retagged('zen:event-type:ticket.tags_changed'));
    expect(await readJson(moved)).toMatchObject({ updated: 1, ignored: false });
    const again = await send(retagged('zen:event-type:ticket.tags_changed'));
    expect(await readJson(again)).toMatchObject({ updated: 0, duplicates: 1 });
    expect(await weeks()).toEqual([{ reason_slug: 'billing', contacts: 1 }]);
    expect(await stored()).toEqual([
      expect.objectContaining({ reason_slug: 'billing', account_id: '4002' }),
    ]);
    // The change of an organization is one too; a priority change is not read.
    const priority = await send({
      ...retagged('zen:event-type:ticket.priority_changed'),
      detail: { ...retagged('x').detail, tags: [], priority: 'high' },
    });
    expect(await readJson(priority)).toMatchObject({ ignored: true });
    expect(await weeks()).toEqual([{ reason_slug: 'billing', contacts: 1 }]);
  });

  /** A change event for ticket `id`, stamped as Zendesk stamps it: event time = ticket update. */
  const changed = (
    id: string,
    type: string,
    at: string,
    detail: Record<string, unknown> = {},
    event: Record<string, unknown> = {},
  ) => ({
    ...ticketCreated(id, { updated_at: at, ...detail }),
    type: `zen:event-type:ticket.${type}`,
    time: at,
    event,
  });
  const resolvedAt = async (id: string) => {
    const rows = rowsOf<{ resolved_at: Date | string | null }>(
      await t.deps.db.execute(sql`select resolved_at from tickets where external_id = ${id}`),
    );
    return rows.map((r) => (r.resolved_at ? new Date(r.resolved_at).toISOString() : null));
  };

  it("resolves a ticket when it is solved and unresolves it when reopened, as the leaders' report reads it", async () => {
    const analyst = await t.keyFor('analyst');
    const totals = async () => {
      const response = await t.request(
        '/v1/reports/prevented-contacts?from=2026-02-09&to=2026-02-10',
        { key: analyst },
      );
      expect(response.status).toBe(200);
      const { totals } = await readJson(response);
      return {
        contacts: totals.contacts,
        resolution_rate: totals.resolution_rate,
        cost_per_resolution_cents: totals.cost_per_resolution_cents,
      };
    };
    await send(ticketCreated('35460'));
    await send(ticketCreated('35461'));
    expect(await totals()).toEqual({
      contacts: 2,
      resolution_rate: 0,
      cost_per_resolution_cents: null,
    });
    const solved = changed('35460', 'status_changed', '2026-02-10T09:30:00Z', {
      status: 'SOLVED',
    });
    expect(await readJson(await send(solved))).toMatchObject({ updated: 1, ignored: false });
    expect(await readJson(await send(solved))).toMatchObject({ updated: 0, duplicates: 1 });
    expect(await resolvedAt('35460')).toEqual(['2026-02-10T09:30:00.000Z']);
    // Two contacts at 9.00 each, one resolved: 18.00 per resolution.
    expect(await totals()).toEqual({
      contacts: 2,
      resolution_rate: 0.5,
      cost_per_resolution_cents: 1800,
    });
    // Closed after it was solved, or retagged while solved, it stays resolved when it was solved.
    const closed = changed('35460', 'status_changed', '2026-02-10T12:00:00Z', {
      status: 'CLOSED',
    });
    expect(await readJson(await send(closed))).toMatchObject({ updated: 0, duplicates: 1 });
    const retagged = changed('35460', 'tags_changed', '2026-02-10T12:30:00Z', {
      status: 'CLOSED',
      tags: ['reason_billing'],
    });
    expect(await readJson(await send(retagged))).toMatchObject({ updated: 1 });
    expect(await resolvedAt('35460')).toEqual(['2026-02-10T09:30:00.000Z']);
    // Reopened by the customer's reply: no longer resolved.
    await send(changed('35461', 'status_changed', '2026-02-10T10:00:00Z', { status: 'solved' }));
    await send(changed('35461', 'status_changed', '2026-02-10T11:00:00Z', { status: 'open' }));
    expect(await resolvedAt('35461')).toEqual([null]);
    expect(await totals()).toEqual({
      contacts: 2,
      resolution_rate: 0.5,
      cost_per_resolution_cents: 1800,
    });
  });

  it('applies events in the order Zendesk changed the ticket, not the order they arrive', async () => {
    const weeks = async () =>
      rowsOf<{ reason_slug: string; contacts: number }>(
        await t.deps.db.execute(
          sql`select reason_slug, contacts from reason_weeks where contacts <> 0 order by 1`,
        ),
      );
    await send(ticketCreated('35462'));
    const toBilling = changed('35462', 'tags_changed', '2026-02-10T09:02:00Z', {
      tags: ['reason_billing'],
    });
    const toShipping = changed('35462', 'tags_changed', '2026-02-10T09:04:00Z', {
      tags: ['reason_shipping'],
    });
    expect(await readJson(await send(toShipping))).toMatchObject({ updated: 1 });
    // The older change, delivered late, is a duplicate that changes nothing.
    expect(await readJson(await send(toBilling))).toMatchObject({ updated: 0, duplicates: 1 });
    expect(await stored()).toEqual([expect.objectContaining({ reason_slug: 'shipping' })]);
    expect(await weeks()).toEqual([{ reason_slug: 'shipping', contacts: 1 }]);
    // Solved, then reopened: the reopening delivered first leaves it unresolved.
    const tags = ['reason_shipping'];
    await send(
      changed('35462', 'status_changed', '2026-02-10T09:20:00Z', { status: 'OPEN', tags }),
    );
    const solved = changed('35462', 'status_changed', '2026-02-10T09:10:00Z', {
      status: 'SOLVED',
      tags,
    });
    expect(await readJson(await send(solved))).toMatchObject({ updated: 0, duplicates: 1 });
    expect(await resolvedAt('35462')).toEqual([null]);
    // A first response is a fact of its own time: recorded even when its event comes late.
    const reply = changed(
      '35462',
      'comment_added',
      '2026-02-10T09:03:00Z',
      { tags: ['reason_billing'] },
      { comment: { is_public: true, author: { is_staff: true } } },
    );
    expect(await readJson(await send(reply))).toMatchObject({ updated: 1 });
    const rows = rowsOf<{ first_response_at: Date | string; reason_slug: string }>(
      await t.deps.db.execute(sql`select first_response_at, reason_slug from tickets`),
    );
    expect(rows.map((r) => [new Date(r.first_response_at).toISOString(), r.reason_slug])).toEqual([
      ['2026-02-10T09:03:00.000Z', 'shipping'],
    ]);
    expect(await weeks()).toEqual([{ reason_slug: 'shipping', contacts: 1 }]);
  });

  it('takes a deleted, spam or merged ticket out of the contacts once, however often or late its events come', async () => {
    const counts = async () => {
      const [weeks, days] = await Promise.all(
        ['reason_weeks', 'reason_days'].map(async (table) =>
          rowsOf<{ reason_slug: string; contacts: number }>(
            await t.deps.db.execute(
              sql`select reason_slug, sum(contacts)::int as contacts from ${sql.identifier(table)}
                  group by 1 having sum(contacts) <> 0 order by 1`,
            ),
          ),
        ),
      );
      expect(days).toEqual(weeks);
      return weeks;
    };
    const analyst = await t.keyFor('analyst');
    const reportedContacts = async () => {
      const report = await t.request(
        '/v1/reports/prevented-contacts?from=2026-02-09&to=2026-02-10',
        {
          key: analyst,
        },
      );
      return (await readJson(report)).totals.contacts;
    };
    const billing = { tags: ['reason_billing'] };
    await send(ticketCreated('35470'));
    await send(ticketCreated('35471'));
    await send(ticketCreated('35472', billing));
    await send(ticketCreated('35473', billing));
    expect(await counts()).toEqual([
      { reason_slug: 'billing', contacts: 2 },
      { reason_slug: 'refund-request', contacts: 2 },
    ]);
    const deleted = changed('35470', 'soft_deleted', '2026-02-10T09:10:00Z', { status: 'DELETED' });
    expect(await readJson(await send(deleted))).toMatchObject({ removed: 1, ignored: false });
    expect(await readJson(await send(deleted))).toMatchObject({ removed: 0, duplicates: 1 });
    const spam = changed('35471', 'marked_as_spam', '2026-02-10T09:10:00Z');
    expect(await readJson(await send(spam))).toMatchObject({ removed: 1 });
    // Merged: the ticket merged away (Zendesk closes it) goes; the one it went into stays.
    const into = changed('35473', 'merged', '2026-02-10T09:11:00Z', { ...billing, status: 'OPEN' });
    expect(await readJson(await send(into))).toMatchObject({ removed: 0, ignored: true });
    const away = changed('35472', 'merged', '2026-02-10T09:11:00Z', {
      ...billing,
      status: 'CLOSED',
    });
    expect(await readJson(await send(away))).toMatchObject({ removed: 1 });
    expect(await stored()).toEqual([expect.objectContaining({ external_id: '35473' })]);
    expect(await counts()).toEqual([{ reason_slug: 'billing', contacts: 1 }]);
    expect(await reportedContacts()).toBe(1);
    // Late or retried events about a removed ticket store nothing.
    expect(await readJson(await send(ticketCreated('35470')))).toMatchObject({ duplicates: 1 });
    const retag = changed('35471', 'tags_changed', '2026-02-10T09:05:00Z', billing);
    expect(await readJson(await send(retag))).toMatchObject({ inserted: 0, duplicates: 1 });
    const gone = changed('35470', 'permanently_deleted', '2026-02-10T09:20:00Z');
    expect(await readJson(await send(gone))).toMatchObject({ removed: 0, duplicates: 1 });
    expect(await counts()).toEqual([{ reason_slug: 'billing', contacts: 1 }]);
    // Restored, a deleted ticket is a contact again; the deletion retried after it is not.
    const undeleted = changed('35471', 'undeleted', '2026-02-10T09:30:00Z', { status: 'OPEN' });
    expect(await readJson(await send(undeleted))).toMatchObject({ inserted: 1 });
    expect(await readJson(await send(spam))).toMatchObject({ removed: 0, duplicates: 1 });
    expect(await counts()).toEqual([
      { reason_slug: 'billing', contacts: 1 },
      { reason_slug: 'refund-request', contacts: 1 },
    ]);
    expect(await reportedContacts()).toBe(2);
  });

  it('stores nothing of a ticket whose deletion arrives at the same time as its creation', async () => {
    // Zendesk delivers each event on its own request, so both can be in flight at once.
    const ids = Array.from({ length: 40 }, (_, i) => String(36_000 + i));
    const answers = await Promise.all(
      ids.flatMap((id) => [
        send(ticketCreated(id)),
        send(changed(id, 'soft_deleted', '2026-02-10T09:10:00Z', { status: 'DELETED' })),
      ]),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(await stored()).toEqual([]);
    const weeks = rowsOf<{ contacts: number }>(
      await t.deps.db.execute(
        sql`select coalesce(sum(contacts), 0)::int as contacts from reason_weeks`,
      ),
    );
    expect(weeks).toEqual([{ contacts: 0 }]);
  });

  it("takes a reply stamped before the ticket's creation (clock skew) as a response at creation", async () => {
    const early = {
      ...ticketCreated('35444'),
      type: 'zen:event-type:ticket.comment_added',
      time: '2026-02-10T08:59:58Z',
      event: { comment: { is_public: true, author: { is_staff: true } } },
    };
    expect((await send(early)).status).toBe(200);
    const rows = rowsOf<{ first_response_at: Date | string }>(
      await t.deps.db.execute(
        sql`select first_response_at from tickets where external_id = '35444'`,
      ),
    );
    expect(rows.map((r) => new Date(r.first_response_at).toISOString())).toEqual([
      '2026-02-10T09:00:00.000Z',
    ]);
  });

  it('reads the reason from a field when configured so', async () => {
    const other = await startTestApp({
      env: { ZENDESK_WEBHOOK_SECRET: SECRET, ZENDESK_REASON_FROM: 'field:type' },
    });
    other.clock.set('2026-02-10T09:05:00Z');
    const response = await send(ticketCreated('1', { type: 'incident' }), { app: other });
    expect(response.status).toBe(200);
    const rows = rowsOf<{ reason_slug: string }>(
      await other.deps.db.execute(sql`select reason_slug from tickets`),
    );
    expect(rows).toEqual([{ reason_slug: 'incident' }]);
    await other.close();
  });

  it('answers 404 when no secret is configured', async () => {
    const unconfigured = await startTestApp();
    const response = await unconfigured.request(PATH, { method: 'POST', key: null, json: {} });
    await expectProblem(response, 404, 'not_found');
    await unconfigured.close();
  });
});
