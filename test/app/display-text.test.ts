import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { sendDueEmails } from '../../src/modules/email/delivery/send-due-emails';
import { spikeMessage } from '../../src/modules/spikes/slack-notifier';
import type { SpikeView } from '../../src/modules/spikes/spike-schemas';
import { createCampaign } from '../helpers/campaigns';
import { expectProblem } from '../helpers/problem';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { ticket } from '../helpers/tickets';

// RIGHT-TO-LEFT OVERRIDE: what follows it, up to the end of the line, reads backwards.
const RLO = '\u202E';
const LRI = '\u2066';
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
const BIDI_MESSAGE = expect.stringMatching(/^must not contain bidirectional/);

/**
 * Names and titles ops write through forestall are refused when they would break the line they
 * are shown on or reorder the words after them; text other systems bring (a contact's name
 * from the product, a reason from a ticket) is taken as it comes and shown on one line.
 */
describe('text shown among other words', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate campaigns, accounts, tickets, reasons cascade`);
  });
  const count = async (table: string) =>
    rowsOf<{ n: number }>(
      await t.deps.db.execute(sql.raw(`select count(*)::int as n from ${table}`)),
    )[0]?.n;

  it.each([
    {
      what: "a campaign's title",
      path: '/v1/campaigns',
      method: 'POST',
      json: { channels: ['banner'], title: `Invoice ${RLO}fdp.exe`, audience: { type: 'all' } },
      field: 'title',
      table: 'campaigns',
    },
    {
      what: "a campaign's button label",
      path: '/v1/campaigns',
      method: 'POST',
      json: {
        channels: ['banner'],
        title: 'Billing run',
        cta: { label: `Pay ${RLO}won`, url: 'https://billing.example.com' },
        audience: { type: 'all' },
      },
      field: 'cta.label',
      table: 'campaigns',
    },
    {
      what: "an incident's name",
      path: '/v1/status/incidents',
      method: 'POST',
      json: { name: `API ${LRI}errors`, status: 'investigating', impact: 'minor' },
      field: 'name',
      table: 'incidents',
    },
    {
      what: "a reason's label",
      path: '/v1/reasons/billing',
      method: 'PUT',
      json: { label: `Billing ${RLO}gnigrahc` },
      field: 'label',
      table: 'reasons',
    },
    {
      what: "an API key's name",
      path: '/v1/api-keys',
      method: 'POST',
      json: { name: `backend ${RLO}nimda`, role: 'ops' },
      field: 'name',
      table: 'api_keys',
    },
  ])(
    'refuses a bidirectional override in $what with 400 naming the field, storing nothing',
    async ({ path, method, json, field, table }) => {
      const before = await count(table);
      const body = await expectProblem(
        await t.request(path, { method, json }),
        400,
        'validation_failed',
      );
      expect(body.errors).toContainEqual({ location: 'body', path: field, message: BIDI_MESSAGE });
      expect(await count(table)).toBe(before);
    },
  );

  it.each([
    ['/v1/reasons/billing', 'PUT', { label: 'Billing\nrun' }, 'label'],
    ['/v1/api-keys', 'POST', { name: 'backend\tapp', role: 'ops' }, 'name'],
    ['/v1/status/incidents', 'POST', { name: 'API\u2028errors', status: 'investigating' }, 'name'],
    ['/v1/reasons/billing', 'PUT', { label: 'Billing\u2029run' }, 'label'],
    [
      '/v1/campaigns',
      'POST',
      {
        channels: ['banner'],
        title: 'Billing run',
        cta: { label: 'Pay\r\nnow', url: 'https://billing.example.com' },
        audience: { type: 'all' },
      },
      'cta.label',
    ],
  ])(
    'refuses a control character or a line separator in %s (%s) as a field not on one line',
    async (path, method, json, field) => {
      const body = await expectProblem(
        await t.request(path, { method, json }),
        400,
        'validation_failed',
      );
      expect(body.errors).toContainEqual({
        location: 'body',
        path: field,
        message: 'must be one line, without control characters',
      });
    },
  );

  // Zero-width space, joiner and no-break space, word joiner, soft hyphen, left-to-right mark,
  // variation selector, Hangul filler, Braille blank, a tag character, and spaces around them.
  const INVISIBLE = [
    '\u200b\u200b',
    ' \u200d\u2060 ',
    '\u00ad\ufeff',
    '\u200e',
    '\ufe0f',
    '\u3164',
    '\u2800',
    '\u{E0020}\u3000',
  ];
  const VISIBLE_MESSAGE = expect.stringMatching(/^must contain a visible character/);
  const campaign = (fields: Record<string, unknown>) => ({
    channels: ['banner'],
    title: 'Billing run',
    audience: { type: 'all' },
    ...fields,
  });
  const window = { scheduled_for: '2026-12-06T02:00:00Z', scheduled_until: '2026-12-06T04:00:00Z' };

  it.each([
    {
      what: "a campaign's title",
      path: '/v1/campaigns',
      method: 'POST',
      field: 'title',
      table: 'campaigns',
      json: (text: string) => campaign({ title: text }),
    },
    {
      what: "a campaign's button label",
      path: '/v1/campaigns',
      method: 'POST',
      field: 'cta.label',
      table: 'campaigns',
      json: (text: string) =>
        campaign({ cta: { label: text, url: 'https://billing.example.com' } }),
    },
    {
      what: "a campaign's title in a locale",
      path: '/v1/campaigns',
      method: 'POST',
      field: 'locales.fr.title',
      table: 'campaigns',
      json: (text: string) => campaign({ locales: { fr: { title: text, body: 'Paiement' } } }),
    },
    {
      what: "a component's name",
      path: '/v1/status/components',
      method: 'POST',
      field: 'name',
      table: 'status_components',
      json: (text: string) => ({ name: text }),
    },
    {
      what: "an incident's name",
      path: '/v1/status/incidents',
      method: 'POST',
      field: 'name',
      table: 'incidents',
      json: (text: string) => ({ name: text, body: 'Looking into it.' }),
    },
    {
      what: "an incident's first update",
      path: '/v1/status/incidents',
      method: 'POST',
      field: 'body',
      table: 'incidents',
      json: (text: string) => ({ name: 'API errors', body: `${text}\n${text}` }),
    },
    {
      what: "a maintenance's name",
      path: '/v1/status/maintenances',
      method: 'POST',
      field: 'name',
      table: 'incidents',
      json: (text: string) => ({ name: text, body: 'Upgrade.', ...window }),
    },
    {
      what: "an event's title",
      path: '/v1/events',
      method: 'POST',
      field: 'title',
      table: 'events',
      json: (text: string) => ({
        kind: 'release',
        title: text,
        starts_at: '2026-03-01T06:00:00Z',
        ends_at: '2026-03-01T08:00:00Z',
      }),
    },
    {
      what: "a reason's label",
      path: '/v1/reasons/billing',
      method: 'PUT',
      field: 'label',
      table: 'reasons',
      json: (text: string) => ({ label: text }),
    },
    {
      what: "an API key's name",
      path: '/v1/api-keys',
      method: 'POST',
      field: 'name',
      table: 'api_keys',
      json: (text: string) => ({ name: text, role: 'ops' }),
    },
  ])(
    'refuses $what made only of invisible characters with 400 naming the field, storing nothing',
    async ({ path, method, field, table, json }) => {
      const before = await count(table);
      for (const text of INVISIBLE) {
        const body = await expectProblem(
          await t.request(path, { method, json: json(text) }),
          400,
          'validation_failed',
        );
        expect(body.errors, JSON.stringify(text)).toEqual([
          { location: 'body', path: field, message: VISIBLE_MESSAGE },
        ]);
      }
      expect(await count(table)).toBe(before);
    },
  );

  it('takes a title with invisible characters among visible ones, and tells an empty one it is required', async () => {
    for (const title of ['\u200bLaunch', '👩\u200d💻 Dev day', 'Caf\u00e9\u00ad']) {
      const created = await t.request('/v1/campaigns', {
        method: 'POST',
        json: campaign({ title }),
      });
      expect(created.status, title).toBe(201);
      expect((await readJson(created)).title).toBe(title);
    }
    const empty = await expectProblem(
      await t.request('/v1/campaigns', { method: 'POST', json: campaign({ title: '  ' }) }),
      400,
      'validation_failed',
    );
    expect(empty.errors).toEqual([expect.objectContaining({ location: 'body', path: 'title' })]);
    expect(empty.errors[0].message).not.toMatch(/visible/);
  });

  it("takes a ticket's reason with line breaks and an override, and labels it on one line without the override", async () => {
    const raw = `Refund\r\nrequest ${RLO}gnidnep`;
    const ingested = await t.request('/v1/tickets', {
      method: 'POST',
      json: { tickets: [ticket('r-1', { reason: raw })] },
    });
    expect(ingested.status).toBe(200);
    const csv = `source,external_id,reason,created_at\r\ncsv,r-2,"Late\ndelivery${LRI}",2026-02-02T10:00:00Z\r\n`;
    const imported = await t.app.request('/v1/tickets/import', {
      method: 'POST',
      body: csv,
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'text/csv' },
    });
    expect(imported.status).toBe(200);
    const reasons = (await readJson(await t.request('/v1/reasons'))).data as {
      slug: string;
      label: string;
    }[];
    expect(
      reasons
        .map(({ slug, label }) => ({ slug, label }))
        .sort((a, b) => (a.slug < b.slug ? -1 : 1)),
    ).toEqual([
      { slug: 'late-delivery', label: 'Late delivery' },
      { slug: 'refund-request-gnidnep', label: 'Refund request gnidnep' },
    ]);
  });

  it('greets a contact whose name came with a line break and an override on one line, the words after it in order', async () => {
    const name = `Eve\r\nBcc: x@evil.example ${RLO}`;
    const put = await t.request('/v1/accounts/acct-eve', {
      method: 'PUT',
      json: { contacts: [{ email: 'eve@example.com', name }] },
    });
    expect(put.status).toBe(201);
    expect((await readJson(put)).contacts[0].name).toBe(name);
    await createCampaign(t, {
      channels: ['email'],
      title: 'Price change',
      body: 'Dear {{name}}, prices change in April.',
      email: { template: 'billing', subject: 'Hello {{name}}, prices change' },
    });
    await sendDueEmails(t.deps);
    const [message] = (await readJson(await t.request('/v1/outbox'))).data as {
      subject: string;
      text: string;
      html: string;
    }[];
    expect(message?.subject).toBe('Hello Eve Bcc: x@evil.example, prices change');
    expect(message?.text).toContain('Dear Eve Bcc: x@evil.example, prices change in April.');
    for (const part of [message?.subject, message?.text, message?.html]) {
      expect(part).not.toMatch(BIDI_CONTROL);
      expect(part).not.toContain('x@evil.example\r\n');
    }
  });

  it('keeps a Slack alert to its three lines, whatever the label and event title hold', () => {
    const spike = {
      week: '2026-02-16',
      reason: 'login',
      label: `Login\n<!channel> ${RLO}enod lla`,
      observed: 40,
      expected: 10,
      severity: 'high',
      events: [{ title: `Release\r\n${LRI}v2`, share: 0.5 }],
    } as unknown as SpikeView;
    const { text } = spikeMessage(spike, 'https://forestall.example.com');
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^:chart_with_upwards_trend: \*Login &lt;!channel&gt; enod lla\* spiked/,
    );
    expect(lines[1]).toBe('Lines up with Release v2 (50%).');
    expect(text).not.toMatch(BIDI_CONTROL);
  });
});
