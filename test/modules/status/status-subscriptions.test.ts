import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { notifyStatusSubscribersJob } from '../../../src/modules/jobs/definitions/notify-status-subscribers.job';
import { sendStatusEmails } from '../../../src/modules/status/subscribers/status-subscriptions.service';
import { deliverStatusWebhooks } from '../../../src/modules/status/subscribers/status-webhooks.service';
import { honoListener } from '../../../src/node-server';
import { webhookFetch } from '../../../src/node-webhook-fetch';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

type OutboxMessage = { to: string; subject: string; text: string; headers: Record<string, string> };

// The test clock starts at 2026-03-02T09:00:00Z.
describe('status page: email subscriptions, incident pages and uptime', () => {
  let t: TestApp;
  let api: { id: string };
  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://status.example.com' } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate incidents, status_components, status_subscribers, outbox_messages,
        email_suppressions, status_subscribe_counts cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    api = await readJson(
      await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } }),
    );
  });

  const outbox = async (): Promise<OutboxMessage[]> =>
    (await readJson(await t.request('/v1/outbox?limit=200'))).data;
  const subscribe = (email: string) =>
    t.request('/status/subscriptions', { method: 'POST', json: { email }, key: null });
  const linkIn = (message: OutboxMessage, action: string) => {
    const match = message.text.match(
      new RegExp(`https://status\\.example\\.com(/status/subscriptions/${action}/[^\\s\\])]+)`),
    );
    if (!match?.[1]) throw new Error(`no ${action} link in ${message.text}`);
    return match[1];
  };
  const openIncident = () =>
    t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Elevated API errors',
        impact: 'major',
        body: 'We are investigating failed requests.',
        components: [{ id: api.id, status: 'major_outage' }],
      },
    });

  it('sends updates only after the address is confirmed, and stops after one-click unsubscribe', async () => {
    expect((await subscribe('Reader@Example.com')).status).toBe(202);
    expect((await subscribe('reader@example.com')).status).toBe(202);
    await openIncident();
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    const [optIn, ...others] = await outbox();
    expect(others).toEqual([]);
    expect(optIn).toMatchObject({ to: 'reader@example.com' });
    expect(optIn?.subject).toMatch(/^Confirm status updates/);

    const confirmPath = optIn ? linkIn(optIn, 'confirm') : '';
    const scanned = await t.request(confirmPath, { key: null });
    expect(scanned.status).toBe(200);
    expect(await scanned.text()).toContain('<form method="post">');
    await openIncident();
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });

    const confirmed = await t.request(confirmPath, { method: 'POST', key: null });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('reader@example.com');

    const incident = await readJson(await openIncident());
    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed.' },
    });
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 2 });
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });
    const updates = (await outbox()).filter((m) => !m.subject.startsWith('Confirm'));
    expect(updates.map((m) => m.subject).sort()).toEqual([
      '[Status] Elevated API errors: investigating',
      '[Status] Elevated API errors: resolved',
    ]);
    const [update] = updates;
    if (!update) throw new Error('no update');
    expect(update.text).toContain(`https://status.example.com/status/incidents/${incident.id}`);
    expect(update.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const unsubscribePath = linkIn(update, 'unsubscribe');
    expect(update.headers['List-Unsubscribe']).toBe(
      `<https://status.example.com${unsubscribePath}>`,
    );

    const oneClick = await t.request(unsubscribePath, {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      key: null,
    });
    expect(oneClick.status).toBe(200);
    await openIncident();
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });
  });

  it('sends to the address as the reader typed it and matches it whatever its case: one subscription, its links and suppressions', async () => {
    expect((await subscribe('Ann.Lee@Example.com')).status).toBe(202);
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    const [optIn] = await outbox();
    if (!optIn) throw new Error('no opt-in');
    expect(optIn.to).toBe('Ann.Lee@Example.com');
    const confirmed = await t.request(linkIn(optIn, 'confirm'), { method: 'POST', key: null });
    expect(await confirmed.text()).toContain('<strong>Ann.Lee@Example.com</strong> gets an email');
    // The same subscription, confirmed: asking again otherwise spelt sends nothing, respells nothing.
    expect((await subscribe('ANN.LEE@example.com')).status).toBe(202);
    await openIncident();
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    const update = (await outbox()).find((m) => !m.subject.startsWith('Confirm'));
    if (!update) throw new Error('no update');
    expect(update.to).toBe('Ann.Lee@Example.com');

    const oneClick = await t.request(linkIn(update, 'unsubscribe'), {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      key: null,
    });
    expect(await oneClick.text()).toContain('<strong>Ann.Lee@Example.com</strong> gets no more');
    await openIncident();
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });

    // Suppressed since (a campaign's unsubscribe): a new request otherwise spelt gets nothing.
    await t.deps.db.execute(sql`
      insert into email_suppressions (email, reason, created_at)
      values ('ann.lee@example.com', 'unsubscribed', now())`);
    t.clock.advance(3_600_000);
    expect((await subscribe('ann.LEE@Example.com')).status).toBe(202);
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });
  });

  it('tells subscribers when the clock moves a maintenance, once', async () => {
    await subscribe('ops-watcher@example.com');
    await sendStatusEmails(t.deps);
    const [optIn] = await outbox();
    if (!optIn) throw new Error('no opt-in');
    await t.request(linkIn(optIn, 'confirm'), { method: 'POST', key: null });
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Database upgrade',
          body: 'The API will be read-only.',
          scheduled_for: '2026-03-03T02:00:00Z',
          scheduled_until: '2026-03-03T04:00:00Z',
          components: [api.id],
        },
      }),
    );
    const job = () => notifyStatusSubscribersJob.run(t.deps, t.clock.now());
    const subjects = async () =>
      (await outbox()).map((m) => m.subject).filter((s) => !s.startsWith('Confirm'));
    await job();
    t.clock.set('2026-03-03T02:07:00Z');
    await job();
    await job();
    t.clock.set('2026-03-03T05:00:00Z');
    await job();
    await job();
    expect((await subjects()).sort()).toEqual([
      '[Status] Database upgrade: completed',
      '[Status] Database upgrade: in progress',
      '[Status] Database upgrade: scheduled',
    ]);
    const page = await readJson(
      await t.request('/api/v2/scheduled-maintenances.json', { key: null }),
    );
    const [shown] = page.scheduled_maintenances;
    expect(shown).toMatchObject({ id: maintenance.id, status: 'completed' });
    expect(
      shown.incident_updates.map((u: { status: string; created_at: string }) => [
        u.status,
        u.created_at,
      ]),
    ).toEqual([
      ['completed', '2026-03-03T04:00:00.000Z'],
      ['in_progress', '2026-03-03T02:00:00.000Z'],
      ['scheduled', '2026-03-02T09:00:00.000Z'],
    ]);
  });

  it('refuses forged links and bad addresses, and throttles opt-in requests', async () => {
    await expectProblem(await subscribe('not-an-address'), 400, 'validation_failed');
    await subscribe('reader@example.com');
    await subscribe('reader@example.com');
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    t.clock.set('2026-03-02T09:11:00Z');
    await subscribe('reader@example.com');
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    const [optIn] = await outbox();
    const unsubscribeForged = optIn
      ? linkIn(optIn, 'confirm').replace('/confirm/', '/unsubscribe/')
      : '';
    expect((await t.request(unsubscribeForged, { method: 'POST', key: null })).status).toBe(404);
    const tampered = `${optIn ? linkIn(optIn, 'confirm') : ''}x`;
    expect((await t.request(tampered, { method: 'POST', key: null })).status).toBe(404);
    // Three opt-in requests per unconfirmed address in all; none to a suppressed address.
    t.clock.set('2026-03-02T09:22:00Z');
    await subscribe('reader@example.com');
    t.clock.set('2026-03-02T09:33:00Z');
    await subscribe('reader@example.com');
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    await t.deps.db.execute(
      sql`insert into email_suppressions (email, reason) values ('gone@example.com', 'bounced')`,
    );
    await subscribe('gone@example.com');
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });
    const confirmed = rowsOf<{ n: number }>(
      await t.deps.db.execute(
        sql`select count(*)::int as n from status_subscribers where confirmed_at is not null`,
      ),
    );
    expect(confirmed).toEqual([{ n: 0 }]);
  });

  it('honours a confirmation link only for the subscription it was sent for, and says so after it ended', async () => {
    await subscribe('returning@example.com');
    await sendStatusEmails(t.deps);
    const [firstOptIn] = await outbox();
    if (!firstOptIn) throw new Error('no opt-in');
    const oldConfirm = linkIn(firstOptIn, 'confirm');
    expect((await t.request(oldConfirm, { method: 'POST', key: null })).status).toBe(200);
    await openIncident();
    await sendStatusEmails(t.deps);
    const update = (await outbox()).find((m) => !m.subject.startsWith('Confirm'));
    if (!update) throw new Error('no update');
    await t.request(linkIn(update, 'unsubscribe'), { method: 'POST', key: null });

    // The subscription ended: the old link says so, and subscribes nobody.
    for (const method of ['GET', 'POST']) {
      const stale = await t.request(oldConfirm, { method, key: null });
      expect(stale.status).toBe(410);
      const page = await stale.text();
      expect(page).toContain('This subscription has ended');
      expect(page).not.toContain('incomplete or changed');
    }
    t.clock.set('2026-03-02T10:30:00Z');
    await subscribe('returning@example.com');
    await sendStatusEmails(t.deps);
    const optIns = (await outbox()).filter((m) => m.subject.startsWith('Confirm'));
    expect(optIns).toHaveLength(2);
    const secondOptIn = optIns.find((m) => linkIn(m, 'confirm') !== oldConfirm);
    if (!secondOptIn) throw new Error('the second opt-in has the same link');

    // A new request replaced it: the old link confirms nothing and points at the newer email.
    const replaced = await t.request(oldConfirm, { method: 'POST', key: null });
    expect(replaced.status).toBe(410);
    expect(await replaced.text()).toContain('newer confirmation email');
    const confirmedCount = async () =>
      rowsOf<{ n: number }>(
        await t.deps.db.execute(
          sql`select count(*)::int as n from status_subscribers where confirmed_at is not null`,
        ),
      );
    expect(await confirmedCount()).toEqual([{ n: 0 }]);
    const fresh = await t.request(linkIn(secondOptIn, 'confirm'), { method: 'POST', key: null });
    expect(fresh.status).toBe(200);
    expect(await confirmedCount()).toEqual([{ n: 1 }]);
  });

  it('answers 429 once everyone together asked 500 times this hour, until the hour ends', async () => {
    t.clock.set('2026-03-02T09:20:00Z');
    // As if 500 requests had come from as many clients this hour.
    await t.deps.db.execute(sql`
      insert into status_subscribe_counts (bucket, window_start, hits)
      values ('all', '2026-03-02T09:00:00Z', 500)`);
    const refused = await subscribe('someone@example.com');
    await expectProblem(refused, 429, 'rate_limited');
    expect(refused.headers.get('retry-after')).toBe(String(40 * 60));
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 0 });
    t.clock.set('2026-03-02T10:00:00Z');
    expect((await subscribe('someone@example.com')).status).toBe(202);
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    // The job forgets ended windows.
    t.clock.set('2026-03-04T10:00:00Z');
    await notifyStatusSubscribersJob.run(t.deps, t.clock.now());
    const [left] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from status_subscribe_counts`),
    );
    expect(left?.n).toBe(0);
  });

  it('takes an address with an internationalised domain in its ASCII form, and names a non-ASCII local part', async () => {
    expect((await subscribe('leser@bücher.example')).status).toBe(202);
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    expect((await outbox()).map((m) => m.to)).toEqual(['leser@xn--bcher-kva.example']);

    // What a URL parser would drop after a host name must not be dropped from an address.
    for (const crafted of ['ada@evil.example#ü', 'ada@bücher.example/x', 'ada@bücher.example:25']) {
      await expectProblem(await subscribe(crafted), 400, 'validation_failed');
    }
    const refused = await expectProblem(
      await subscribe('léa@example.com'),
      400,
      'validation_failed',
    );
    expect(refused.errors).toEqual([
      expect.objectContaining({ path: 'email', message: expect.stringMatching(/before the @/) }),
    ]);

    // Longer than mail servers deliver to: refused here, not later by Resend. At the limits: taken.
    const label = (n: number) => 'b'.repeat(n);
    for (const tooLong of [
      `${'a'.repeat(65)}@example.com`,
      `a@${label(64)}.example`,
      `a@${[label(63), label(63), label(63), label(63)].join('.')}`,
    ]) {
      const problem = await expectProblem(await subscribe(tooLong), 400, 'validation_failed');
      expect(problem.errors).toEqual([expect.objectContaining({ path: 'email' })]);
    }
    expect((await subscribe(`${'a'.repeat(64)}@${label(63)}.example`)).status).toBe(202);
    const form = await t.request('/status/subscribe', {
      method: 'POST',
      key: null,
      body: new URLSearchParams({ email: ' leser2@bücher.example ' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(200);
    const stored = rowsOf<{ email: string }>(
      await t.deps.db.execute(sql`select email from status_subscribers order by email`),
    );
    expect(stored).toEqual([
      { email: `${'a'.repeat(64)}@${label(63)}.example` },
      { email: 'leser2@xn--bcher-kva.example' },
      { email: 'leser@xn--bcher-kva.example' },
    ]);
  });

  it('gives every incident an absolute shortlink that answers with its own page', async () => {
    const incident = await readJson(await openIncident());
    const summary = await readJson(await t.request('/api/v2/incidents.json', { key: null }));
    const { shortlink } = summary.incidents[0];
    expect(shortlink).toBe(`https://status.example.com/status/incidents/${incident.id}`);
    const page = await t.request(new URL(shortlink).pathname, { key: null });
    expect(page.status).toBe(200);
    const markup = await page.text();
    expect(markup).toContain('<title>Elevated API errors · Status</title>');
    expect(markup).toContain('We are investigating failed requests.');
    expect(markup).toContain('Affected: API');
    for (const missing of ['0192f0c4-0000-7000-8000-000000000000', 'not-an-id']) {
      expect((await t.request(`/status/incidents/${missing}`, { key: null })).status).toBe(404);
    }
  });

  it('shows uptime bars, a subscribe form that works without JavaScript, and a favicon', async () => {
    t.clock.set('2026-03-03T10:00:00Z');
    const page = await (await t.request('/status', { key: null })).text();
    expect(page.match(/<li class="d-/g)).toHaveLength(90);
    expect(page).toContain('100% uptime since 2026-03-02');
    expect(page).toContain('<form method="post" action="/status/subscribe"');
    expect(page).toContain('<link rel="icon" href="/favicon.svg"');
    const form = (email: string) =>
      t.request('/status/subscribe', {
        method: 'POST',
        body: new URLSearchParams({ email }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        key: null,
      });
    expect((await form('nope')).status).toBe(400);
    const subscribed = await form('Form@Example.com');
    expect(subscribed.status).toBe(200);
    expect(await subscribed.text()).toContain('Check your inbox');
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    expect((await outbox()).map((m) => m.to)).toEqual(['Form@Example.com']);
    const icon = await t.request('/favicon.ico', { key: null });
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('derives each day of uptime from the status changes, weighted as Statuspage does', async () => {
    t.clock.set('2026-03-03T00:00:00Z');
    const incident = await readJson(await openIncident());
    t.clock.set('2026-03-03T06:00:00Z');
    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: {
        status: 'monitoring',
        body: 'Recovering.',
        components: [{ id: api.id, status: 'partial_outage' }],
      },
    });
    t.clock.set('2026-03-03T12:00:00Z');
    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed.' },
    });
    t.clock.set('2026-03-05T00:00:00Z');
    const uptime = await readJson(await t.request('/status/uptime.json', { key: null }));
    expect(uptime).toMatchObject({ time_zone: 'UTC', from: '2025-12-06', to: '2026-03-05' });
    const [component] = uptime.components;
    expect(component.days).toHaveLength(90);
    const byDate = new Map(component.days.map((d: { date: string }) => [d.date, d]));
    expect(byDate.get('2026-03-01')).toMatchObject({ status: null, minutes: {} });
    expect(byDate.get('2026-03-02')).toMatchObject({
      status: 'operational',
      minutes: { operational: 900 },
      incidents: [],
    });
    expect(byDate.get('2026-03-03')).toMatchObject({
      status: 'major_outage',
      minutes: { major_outage: 360, partial_outage: 360, operational: 720 },
      incidents: [{ id: incident.id, name: 'Elevated API errors' }],
    });
    expect(byDate.get('2026-03-05')).toMatchObject({ status: null });
    // 15 h + 24 h + 24 h observed; 6 h down and 6 h at 30%.
    const observedHours = 15 + 24 + 24;
    const expected = 100 * (1 - (6 + 0.3 * 6) / observedHours);
    expect(component.uptime_percent).toBeCloseTo(expected, 2);
  });

  it('gives no uptime figure before a full day is observed, and says which days a figure covers', async () => {
    t.clock.set('2026-03-02T09:05:00Z');
    expect((await openIncident()).status).toBe(201);
    const read = async () => {
      const uptime = await readJson(await t.request('/status/uptime.json', { key: null }));
      const page = await (await t.request('/status', { key: null })).text();
      const label = page.match(/<figure class="uptime" aria-label="([^"]*)"/)?.[1];
      return { component: uptime.components[0], page, label };
    };

    // An hour old, down all but its first five minutes: no percentage, on the page or in JSON.
    t.clock.set('2026-03-02T10:00:00Z');
    const young = await read();
    expect(young.component).toMatchObject({
      uptime_percent: null,
      since: '2026-03-02',
      observed_minutes: 60,
    });
    expect(young.label).toBe('API: new since 2026-03-02; uptime shown after a full day');
    expect(young.page).not.toMatch(/\d% uptime/);

    // Three days old: the figure covers those three days and says so.
    t.clock.set('2026-03-05T09:00:00Z');
    const days = await read();
    const observed = 3 * 24 * 60;
    expect(days.component).toMatchObject({ since: '2026-03-02', observed_minutes: observed });
    const expected = Math.round(10_000 * (5 / observed)) / 100;
    expect(days.component.uptime_percent).toBe(expected);
    expect(days.label).toBe(`API: ${expected}% uptime since 2026-03-02`);

    // Older than the days shown: the figure covers them all.
    t.clock.set('2026-06-15T09:00:00Z');
    const old = await read();
    expect(old.component.since).toBe(old.component.days[0].date);
    expect(old.component.observed_minutes).toBe(90 * 24 * 60 - 15 * 60);
    expect(old.label).toBe('API: 0% uptime over 90 days');
  });

  it('shows days with maintenance in progress as maintenance, named, and not as downtime', async () => {
    const schedule = async (name: string, from: string, until: string, auto = true) => {
      const response = await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name,
          body: 'Planned work.',
          scheduled_for: from,
          scheduled_until: until,
          components: [api.id],
          auto_transition: auto,
          notify_accounts: false,
        },
      });
      expect(response.status).toBe(201);
      return (await readJson(response)).id as string;
    };
    // Moved by the clock alone, never recorded by its job.
    const upgrade = await schedule(
      'Database upgrade',
      '2026-03-03T02:00:00Z',
      '2026-03-03T06:00:00Z',
    );
    // Moved by ops: under way from in_progress through verifying to completed (60 minutes).
    const manual = await schedule(
      'Network change',
      '2026-03-04T10:00:00Z',
      '2026-03-04T12:00:00Z',
      false,
    );
    for (const [at, status] of [
      ['2026-03-04T10:30:00Z', 'in_progress'],
      ['2026-03-04T11:00:00Z', 'verifying'],
      ['2026-03-04T11:30:00Z', 'completed'],
    ]) {
      t.clock.set(at as string);
      const posted = await t.request(`/v1/status/maintenances/${manual}/updates`, {
        method: 'POST',
        json: { status, body: `Now ${status}.` },
      });
      expect(posted.status).toBe(200);
    }
    // Still in progress when the page is read: its first hour falls on 2026-03-04.
    const ongoing = await schedule('Cache flush', '2026-03-04T23:00:00Z', '2026-03-05T02:00:00Z');
    t.clock.set('2026-03-05T00:00:00Z');

    const uptime = await readJson(await t.request('/status/uptime.json', { key: null }));
    const [component] = uptime.components;
    const byDate = new Map(component.days.map((d: { date: string }) => [d.date, d]));
    expect(byDate.get('2026-03-02')).toMatchObject({
      status: 'operational',
      minutes: { operational: 900 },
      maintenance: [],
    });
    expect(byDate.get('2026-03-03')).toEqual({
      date: '2026-03-03',
      status: 'under_maintenance',
      minutes: { operational: 1200, under_maintenance: 240 },
      incidents: [],
      maintenance: [{ id: upgrade, name: 'Database upgrade' }],
    });
    expect(byDate.get('2026-03-04')).toMatchObject({
      status: 'under_maintenance',
      minutes: { operational: 1320, under_maintenance: 120 },
      maintenance: [
        { id: manual, name: 'Network change' },
        { id: ongoing, name: 'Cache flush' },
      ],
    });
    expect(component.uptime_percent).toBe(100);

    const page = await (await t.request('/status', { key: null })).text();
    const label = '2026-03-03: Under maintenance (not downtime) (Maintenance: Database upgrade)';
    expect(page).toContain(
      `<li class="d-under_maintenance" title="${label}"><span class="visually-hidden">${label}</span></li>`,
    );
    expect(page.match(/<li class="d-under_maintenance"/g)).toHaveLength(2);
    expect(page).toContain(
      'aria-label="API: 100% uptime since 2026-03-02, maintenance on 2 days (not downtime)"',
    );
  });
});

describe('status page: subscribe requests counted per client address', () => {
  let behindProxy: TestApp;
  let direct: TestApp;
  const servers: Server[] = [];
  const urls: string[] = [];
  beforeAll(async () => {
    behindProxy = await startTestApp({ env: { TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' } });
    direct = await startTestApp();
    for (const t of [behindProxy, direct]) {
      const server = createServer(honoListener(t.app));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await behindProxy.close();
    await direct.close();
  });

  const subscribeVia = (url: string | undefined, email: string, forwardedFor?: string) =>
    fetch(`${url}/status/subscriptions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      },
      body: JSON.stringify({ email }),
    });

  it('answers 429 with Retry-After once a mailbox is asked for too often, however tagged and from wherever, and queues nothing more', async () => {
    const from = (n: number) => `198.18.0.${n}`;
    const answers = [];
    for (let n = 0; n < 40; n++) {
      answers.push(await subscribeVia(urls[0], `victim+${n}@example.com`, from(n)));
    }
    expect(answers.slice(0, 5).map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    for (const refused of answers.slice(5)) {
      expect(refused.status).toBe(429);
      // The day's window ends at midnight UTC; the test clock reads 09:00.
      expect(refused.headers.get('retry-after')).toBe(String(15 * 3600));
    }
    const problem = await expectProblem(answers[5] as Response, 429, 'rate_limited');
    expect(problem.detail).toContain('this mailbox');
    expect(await sendStatusEmails(behindProxy.deps)).toEqual({ sent: 5 });

    // Gmail ignores dots and tags: one mailbox. Another provider's dots are its own.
    const gmail = ['v.ic.tim@gmail.com', 'victim+a@googlemail.com', 'Vic.Tim@gmail.com'];
    gmail.push('victim@gmail.com', 'victim+z@gmail.com', 'vic.tim@gmail.com');
    const gmailAnswers = [];
    for (const [n, email] of gmail.entries()) {
      gmailAnswers.push((await subscribeVia(urls[0], email, from(100 + n))).status);
    }
    expect(gmailAnswers).toEqual([202, 202, 202, 202, 202, 429]);
    expect((await subscribeVia(urls[0], 'vic.tim@example.com', from(110))).status).toBe(202);
    expect((await subscribeVia(urls[0], 'victim@example.com', from(111))).status).toBe(429);

    // The form says the same in a page.
    const form = await fetch(`${urls[0]}/status/subscribe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': from(120),
      },
      body: 'email=victim%2Bform%40example.com',
    });
    expect(form.status).toBe(429);
    expect(form.headers.get('retry-after')).toBe(String(15 * 3600));
    expect(await form.text()).toContain('Too many requests');
    const [queued] = rowsOf<{ n: number }>(
      await behindProxy.deps.db.execute(sql`
        select count(*)::int as n from status_notifications n
        join status_subscribers s on s.id = n.subscriber_id
        where s.email like 'victim%example.com'`),
    );
    expect(queued?.n).toBe(5);
  });

  it('believes X-Forwarded-For only from a trusted proxy, and counts the hop nearest it', async () => {
    const statuses = async (url: string | undefined, forwardedFor: string, count = 10) => {
      const seen = [];
      for (let n = 0; n < count; n++) {
        const answer = await subscribeVia(
          url,
          `reader${n}@${forwardedFor.length}.example`,
          forwardedFor,
        );
        seen.push(answer.status);
      }
      return seen;
    };
    expect(await statuses(urls[0], '198.51.100.7')).toEqual(Array(10).fill(202));
    const refused = await subscribeVia(urls[0], 'late@example.com', '198.51.100.7');
    await expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBe(3600);
    // What the client wrote to the left of it does not make it someone else.
    expect(
      (await subscribeVia(urls[0], 'late@example.com', '203.0.113.1, 198.51.100.7')).status,
    ).toBe(429);
    // Behind a second trusted proxy, the same client still.
    expect((await subscribeVia(urls[0], 'late@example.com', '198.51.100.7, 10.1.2.3')).status).toBe(
      429,
    );
    expect((await subscribeVia(urls[0], 'other@example.com', '198.51.100.8')).status).toBe(202);
    // One IPv6 /64 is one client.
    expect(await statuses(urls[0], '2001:db8:1:2::1', 10)).toEqual(Array(10).fill(202));
    expect((await subscribeVia(urls[0], 'six@example.com', '2001:db8:1:2::ffff')).status).toBe(429);

    // Without TRUSTED_PROXIES the header is anyone's to write: the connection counts.
    const spoofed = [];
    for (let n = 0; n < 11; n++) {
      spoofed.push((await subscribeVia(urls[1], `spoof${n}@example.com`, `192.0.2.${n}`)).status);
    }
    expect(spoofed).toEqual([...Array(10).fill(202), 429]);
  });
});

describe('status page: signed webhook subscriptions', () => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  beforeAll(async () => {
    t = await startTestApp();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('posts every update to each endpoint, signed, retrying until the endpoint takes it', async () => {
    const created = await t.request('/v1/status/webhooks', {
      method: 'POST',
      json: { url: receiver.url },
    });
    expect(created.status).toBe(201);
    const hook = await readJson(created);
    expect(hook.secret).toMatch(/^whsec_/);
    expect(JSON.stringify(await readJson(await t.request('/v1/status/webhooks')))).not.toContain(
      hook.secret,
    );
    for (const url of [
      'ftp://x.example',
      'toString',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.5/hook',
      'https://user:pass@hooks.example.com/status',
    ]) {
      await expectProblem(
        await t.request('/v1/status/webhooks', { method: 'POST', json: { url } }),
        400,
        'validation_failed',
      );
    }

    const api = await readJson(
      await t.request('/v1/status/components', { method: 'POST', json: { name: 'Hooked API' } }),
    );
    receiver.state.down = true;
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Webhook outage',
          impact: 'minor',
          body: 'Investigating.',
          components: [{ id: api.id, status: 'degraded_performance' }],
        },
      }),
    );
    expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 0 });
    const [failing] = (await readJson(await t.request('/v1/status/webhooks'))).data;
    expect(failing).toMatchObject({ pending: 1, delivered: 0, last_error: 'HTTP 500' });

    receiver.state.down = false;
    expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 0 });
    t.clock.set(new Date(t.clock.now().getTime() + 3 * 60_000).toISOString());
    expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 1 });
    expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 0 });

    const [failed, received] = receiver.received;
    if (!failed || !received) throw new Error('nothing received');
    // Standard Webhooks signatures: what the library computes with the secret, no other secret.
    const signedWith = (secret: string) =>
      new Webhook(secret).sign(
        String(received.headers['webhook-id']),
        new Date(Number(received.headers['webhook-timestamp']) * 1000),
        received.body,
      );
    expect(received.headers['webhook-signature']).toBe(signedWith(hook.secret));
    const other = `whsec_${btoa('another secret of thirty-two bytes')}`;
    expect(received.headers['webhook-signature']).not.toBe(signedWith(other));
    expect(Number(received.headers['webhook-timestamp'])).toBe(
      Math.floor(t.clock.now().getTime() / 1000),
    );
    const payload = JSON.parse(received.body);
    expect(payload.incident).toMatchObject({ id: incident.id, name: 'Webhook outage' });
    expect(payload.page.status_indicator).toBe('minor');
    expect(failed.headers['webhook-id']).toBe(received.headers['webhook-id']);

    expect((await t.request(`/v1/status/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed.' },
    });
    expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 0 });
  });
  it('reaches every endpoint in one run, more than a batch of them, at once', async () => {
    for (let i = 0; i < 45; i++) {
      const created = await t.request('/v1/status/webhooks', {
        method: 'POST',
        json: { url: `${receiver.url}?endpoint=${i}` },
      });
      expect(created.status).toBe(201);
    }
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Many listeners', impact: 'minor', body: 'Investigating.', components: [] },
    });
    t.clock.set(new Date(t.clock.now().getTime() + 60_000).toISOString());
    const run = await deliverStatusWebhooks(t.deps);
    const reached = receiver.received.filter((r) => r.body.includes('Many listeners'));
    expect(reached).toHaveLength(45);
    expect(run.delivered).toBeGreaterThanOrEqual(45);
  });
});

describe('status page: webhooks to names that resolve privately', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('refuses to post to a host that now resolves to a private address', async () => {
    const asked: string[] = [];
    t.deps.webhookFetch = webhookFetch({
      allowLoopback: t.deps.config.webhooksAllowLoopback,
      resolve: async (host) => {
        asked.push(host);
        return ['93.184.215.14', 'fd12:3456::7'];
      },
    });
    const hook = await readJson(
      await t.request('/v1/status/webhooks', {
        method: 'POST',
        json: { url: 'https://hooks.rebound.example/status' },
      }),
    );
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Rebound', impact: 'minor', body: 'Investigating.', components: [] },
    });
    expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 0 });
    expect(asked).toEqual(['hooks.rebound.example']);
    const [listed] = (await readJson(await t.request('/v1/status/webhooks'))).data;
    expect(listed).toMatchObject({
      id: hook.id,
      delivered: 0,
      last_error: 'hooks.rebound.example resolves to a private address',
    });
  });

  it('connects to the address it checked, not to a second answer for the name', async () => {
    const receiver = await startWebhookReceiver();
    const { port } = new URL(receiver.url);
    // A rebinding resolver: the name's first answer is loopback, any later one private (the
    // earlier test's host stays private throughout).
    let answers = 0;
    t.deps.webhookFetch = webhookFetch({
      allowLoopback: t.deps.config.webhooksAllowLoopback,
      resolve: async (host) => {
        if (host !== 'hooks.pinned.example') return ['10.0.0.1'];
        return answers++ === 0 ? ['127.0.0.1'] : ['10.0.0.9'];
      },
    });
    await t.request('/v1/status/webhooks', {
      method: 'POST',
      json: { url: `http://hooks.pinned.example:${port}/hooks/status` },
    });
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Pinned', impact: 'minor', body: 'Investigating.', components: [] },
    });
    try {
      expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 1 });
      expect(receiver.received).toHaveLength(1);
      expect(answers).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('status page: webhooks to this machine on a public deployment', () => {
  let t: TestApp;
  let allowing: TestApp;
  const publicUrl = 'https://status.example.com';
  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: publicUrl } });
    allowing = await startTestApp({
      env: { PUBLIC_URL: publicUrl, WEBHOOKS_ALLOW_LOOPBACK: 'true' },
    });
  });
  afterAll(async () => {
    await t.close();
    await allowing.close();
  });

  const loopbackUrls = [
    'http://127.0.0.1:8080/hooks/status',
    'http://127.1/hooks/status',
    'http://[::1]/hooks/status',
    'http://0x7f000001/hooks/status',
    'http://2130706433/hooks/status',
    'http://[::ffff:127.0.0.1]/hooks/status',
    'http://localhost:3000/hooks/status',
    'http://LOCALHOST./hooks/status',
    'http://hooks.localhost/status',
  ];

  it('refuses loopback endpoints, however written, and stores nothing unless WEBHOOKS_ALLOW_LOOPBACK=true', async () => {
    for (const url of loopbackUrls) {
      const problem = await expectProblem(
        await t.request('/v1/status/webhooks', { method: 'POST', json: { url } }),
        400,
        'validation_failed',
      );
      expect(problem.errors).toMatchObject([
        { path: 'url', message: expect.stringContaining('loopback') },
      ]);
    }
    expect((await readJson(await t.request('/v1/status/webhooks'))).data).toEqual([]);
    const [stored] = rowsOf<{ count: number }>(
      await t.deps.db.execute(sql`select count(*)::int as count from status_webhooks`),
    );
    expect(stored?.count).toBe(0);

    for (const url of loopbackUrls) {
      const created = await allowing.request('/v1/status/webhooks', {
        method: 'POST',
        json: { url },
      });
      expect(created.status).toBe(201);
    }
    const listed = (await readJson(await allowing.request('/v1/status/webhooks'))).data;
    expect(listed).toHaveLength(loopbackUrls.length);
    // The switch opens loopback only: private and metadata addresses stay refused.
    await expectProblem(
      await allowing.request('/v1/status/webhooks', {
        method: 'POST',
        json: { url: 'http://169.254.169.254/latest/meta-data' },
      }),
      400,
      'validation_failed',
    );
  });

  it('posts nothing to a name that resolves to loopback, nor to a loopback endpoint stored earlier', async () => {
    const receiver = await startWebhookReceiver();
    const { port } = new URL(receiver.url);
    t.deps.webhookFetch = webhookFetch({
      allowLoopback: t.deps.config.webhooksAllowLoopback,
      resolve: async () => ['127.0.0.1'],
    });
    const named = await t.request('/v1/status/webhooks', {
      method: 'POST',
      json: { url: `http://hooks.inward.example:${port}/hooks/status` },
    });
    expect(named.status).toBe(201);
    // As stored by an instance whose PUBLIC_URL was still local.
    await t.deps.db.execute(sql`
      insert into status_webhooks (id, url, secret, created_at)
      values (gen_random_uuid(), ${receiver.url}, 'whsec_c2VjcmV0', now())`);
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Inward', impact: 'minor', body: 'Investigating.', components: [] },
    });
    try {
      expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 0 });
      expect(receiver.received).toEqual([]);
    } finally {
      await receiver.close();
    }
    const errors = (await readJson(await t.request('/v1/status/webhooks'))).data.map(
      (hook: { last_error: string }) => hook.last_error,
    );
    expect(errors.sort()).toEqual([
      '127.0.0.1 is a loopback address',
      'hooks.inward.example resolves to a loopback address',
    ]);
  });
});

describe('status page: webhooks where names cannot be resolved (the fetch Workers get)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No webhookFetch of Node's: the composition root's default, as the Workers entry builds it.
    t = await startTestApp({ env: { PUBLIC_URL: 'https://status.example.com' } });
  });
  afterAll(() => t.close());

  it('refuses at sending an endpoint whose URL names a loopback address, stored under other rules', async () => {
    const receiver = await startWebhookReceiver();
    // As stored by an instance whose PUBLIC_URL was still local.
    await t.deps.db.execute(sql`
      insert into status_webhooks (id, url, secret, created_at)
      values (gen_random_uuid(), ${receiver.url}, 'whsec_c2VjcmV0', now())`);
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Inward', impact: 'minor', body: 'Investigating.', components: [] },
    });
    try {
      expect(await deliverStatusWebhooks(t.deps)).toEqual({ delivered: 0 });
      expect(receiver.received).toEqual([]);
    } finally {
      await receiver.close();
    }
    const [hook] = (await readJson(await t.request('/v1/status/webhooks'))).data;
    expect(hook).toMatchObject({ delivered: 0, last_error: '127.0.0.1 is a loopback address' });
  });

  it('lists endpoints a page at a time, in the order they were added', async () => {
    const urls = ['a', 'b', 'c'].map((name) => `https://hooks.example.com/paged/${name}`);
    const ids: string[] = [];
    for (const url of urls) {
      const created = await t.request('/v1/status/webhooks', { method: 'POST', json: { url } });
      expect(created.status).toBe(201);
      ids.push((await readJson(created)).id);
    }
    const listed: { id: string; url: string; pending: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await readJson(await t.request(`/v1/status/webhooks?limit=2${query}`));
      expect(page.data.length).toBeLessThanOrEqual(2);
      listed.push(...page.data);
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBeGreaterThan(1);
    expect(listed.filter((hook) => urls.includes(hook.url)).map((hook) => hook.id)).toEqual(ids);
    expect(new Set(listed.map((hook) => hook.id)).size).toBe(listed.length);
    for (const id of ids) {
      expect((await t.request(`/v1/status/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204);
    }
  });

  it('refuses a private and a loopback URL, and one on port 0, when added, and stores none', async () => {
    for (const [url, says] of [
      ['http://[::ffff:10.0.0.5]/hooks', 'private, link-local or reserved'],
      ['http://169.254.169.254/latest/meta-data', 'private, link-local or reserved'],
      ['http://127.0.0.1:8080/hooks', 'loopback'],
      ['https://example.com:0/hooks', 'port 0'],
    ] as const) {
      const problem = await expectProblem(
        await t.request('/v1/status/webhooks', { method: 'POST', json: { url } }),
        400,
        'validation_failed',
      );
      expect(problem.errors).toMatchObject([
        { path: 'url', message: expect.stringContaining(says) },
      ]);
    }
    const [stored] = rowsOf<{ count: number }>(
      await t.deps.db.execute(
        sql`select count(*)::int as count from status_webhooks where url not like '%/hooks/status'`,
      ),
    );
    expect(stored?.count).toBe(0);
  });
});

/** An endpoint on loopback that records what it is sent, or answers 500 while `down`. */
async function startWebhookReceiver() {
  const received: { body: string; headers: Record<string, string> }[] = [];
  const state = { down: false };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        headers[name] = String(request.headers[name]);
      }
      received.push({ body, headers });
      response.writeHead(state.down ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/status`,
    received,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
