import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { sendStatusEmails } from '../../src/modules/status/subscribers/status-subscriptions.service';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { signal } from '../helpers/signal';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

type Browser = ReturnType<typeof consoleClient>;
type Fields = Record<string, string | string[]>;

/** The fields a browser sends with the form posting to `action` on the page at `path`. */
async function formOn(browser: Browser, path: string, action: string): Promise<Fields> {
  const page = await (await browser.get(path)).text();
  const form = page
    .split('<form')
    .find((markup) => markup.includes(`action="${action}"`))
    ?.split('</form>')[0];
  if (!form) throw new Error(`no form posting to ${action} on ${path}`);
  const hidden: Fields = {};
  for (const [, name, value] of form.matchAll(/type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    if (name && name !== 'version') hidden[name] = value ?? '';
  }
  return hidden;
}

// The test clock starts at 2026-03-02T09:00:00Z.
describe('console forms that create something are carried out once per form', () => {
  let t: TestApp;
  let browser: Browser;
  let database: TestDatabase;
  let apiId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    t = await startTestApp({ database });
    browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, events, incidents, status_components, status_subscribers,
        outbox_messages cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    const api = await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } });
    apiId = (await readJson(api)).id;
  });

  const count = async (table: string) =>
    rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`),
    )[0]?.n;

  /** Sends the same submit twice; both answers must lead to the same place. */
  const twice = async (action: string, fields: Fields) => {
    const first = await browser.post(action, fields);
    const second = await browser.post(action, fields);
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    return first.headers.get('location') ?? '';
  };

  const openIncident = async () =>
    readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Elevated API errors',
          impact: 'major',
          body: 'We are investigating.',
          components: [{ id: apiId, status: 'major_outage' }],
        },
      }),
    );

  const campaign = {
    channels: 'banner',
    title: 'Billing run tonight',
    body: 'Invoices go out at **midnight**.',
    severity: 'info',
    audience_type: 'all',
    holdout_percent: '0',
    email_send: 'start',
    action: 'publish',
  };

  it('creates one campaign from a campaign form sent twice, and both lead to it', async () => {
    const form = await formOn(browser, '/console/campaigns/new', '/console/campaigns');
    expect(form._idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    const location = await twice('/console/campaigns', { ...form, ...campaign });
    expect(await count('campaigns')).toBe(1);
    const [row] = rowsOf<{ id: string }>(await t.deps.db.execute(sql`select id from campaigns`));
    expect(location).toMatch(new RegExp(`^/console/campaigns/${row?.id}\\?done=Published`));
  });

  it('opens one incident, schedules one maintenance and adds one component and one event', async () => {
    const incident = await formOn(browser, '/console/status', '/console/status/incidents');
    await twice('/console/status/incidents', {
      ...incident,
      name: 'Login failures',
      body: 'We are on it.',
      impact: 'major',
      components: [apiId],
      component_status: 'major_outage',
    });
    expect(await count('incidents')).toBe(1);

    const maintenance = await formOn(browser, '/console/status', '/console/status/maintenances');
    await twice('/console/status/maintenances', {
      ...maintenance,
      name: 'Database upgrade',
      body: 'Read-only for an hour.',
      scheduled_for: '2026-03-03T02:00',
      scheduled_until: '2026-03-03T03:00',
      components: [apiId],
    });
    expect(await count('incidents')).toBe(2);

    const component = await formOn(browser, '/console/status', '/console/status/components');
    await twice('/console/status/components', { ...component, name: 'Dashboard' });
    expect(await count('status_components')).toBe(2);

    const event = await formOn(browser, '/console/events/new', '/console/events');
    await twice('/console/events', {
      ...event,
      kind: 'release',
      title: 'Spring release',
      starts_at: '2026-03-10T09:00',
      ends_at: '2026-03-10T10:00',
    });
    expect(await count('events')).toBe(1);
  });

  it('emails subscribers once about an incident update sent twice', async () => {
    await t.request('/status/subscriptions', {
      method: 'POST',
      json: { email: 'reader@example.com' },
      key: null,
    });
    await sendStatusEmails(t.deps);
    const [optIn] = (await readJson(await t.request('/v1/outbox?limit=200'))).data;
    const confirm = /\/status\/subscriptions\/confirm\/[^\s\])]+/.exec(optIn?.text ?? '')?.[0];
    expect((await t.request(confirm ?? '', { method: 'POST', key: null })).status).toBe(200);
    const incident = await openIncident();
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });

    const action = `/console/status/incidents/${incident.id}/updates`;
    const form = await formOn(browser, '/console/status', action);
    await twice(action, { ...form, status: 'identified', body: 'A bad deploy; rolling back.' });
    expect(await sendStatusEmails(t.deps)).toEqual({ sent: 1 });
    const updates = rowsOf<{ n: number }>(
      await t.deps.db.execute(
        sql`select count(*)::int as n from incident_updates where incident_id = ${incident.id}`,
      ),
    );
    expect(updates[0]?.n).toBe(2);
  });

  it('posts one maintenance update and one reopening however often each is sent', async () => {
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Database upgrade',
          body: 'Read-only for an hour.',
          scheduled_for: '2026-03-03T02:00:00Z',
          scheduled_until: '2026-03-03T03:00:00Z',
          components: [apiId],
        },
      }),
    );
    const updatesOf = async (id: string) =>
      rowsOf<{ status: string }>(
        await t.deps.db.execute(
          sql`select status from incident_updates where incident_id = ${id} order by created_at, id`,
        ),
      ).map((row) => row.status);
    const update = `/console/status/maintenances/${maintenance.id}/updates`;
    await twice(update, {
      ...(await formOn(browser, '/console/status', update)),
      status: 'completed',
      body: 'Called off.',
    });
    expect(await updatesOf(maintenance.id)).toEqual(['scheduled', 'completed']);

    const reopen = `/console/status/maintenances/${maintenance.id}/reopen`;
    await twice(reopen, {
      ...(await formOn(browser, reopen, reopen)),
      status: 'in_progress',
      body: 'Back on.',
    });
    expect(await updatesOf(maintenance.id)).toEqual(['scheduled', 'completed', 'in_progress']);
  });

  it('keeps the key on a form sent back with errors, so the fixed form still creates once', async () => {
    const form = await formOn(browser, '/console/campaigns/new', '/console/campaigns');
    const refused = await browser.post('/console/campaigns', { ...form, ...campaign, title: '' });
    expect(refused.status).toBe(400);
    const markup = await refused.text();
    expect(markup).toContain(`name="_idempotency_key" value="${form._idempotency_key}"`);
    await twice('/console/campaigns', { ...form, ...campaign });
    expect(await count('campaigns')).toBe(1);
  });

  it('previews without spending the key, then publishes once', async () => {
    const form = await formOn(browser, '/console/campaigns/new', '/console/campaigns');
    const preview = await browser.post('/console/campaigns', {
      ...form,
      ...campaign,
      action: 'preview',
    });
    expect(preview.status).toBe(200);
    expect(await preview.text()).toContain(`value="${form._idempotency_key}"`);
    await twice('/console/campaigns', { ...form, ...campaign });
    expect(await count('campaigns')).toBe(1);
    // A preview claims nothing, so one sent beside the Publish never turns it away.
    const again = await browser.post('/console/campaigns', {
      ...form,
      ...campaign,
      action: 'preview',
    });
    expect(again.status).toBe(200);
  });

  it('refuses a key sent again with other contents with a 422, and creates nothing more', async () => {
    const form = await formOn(browser, '/console/campaigns/new', '/console/campaigns');
    expect((await browser.post('/console/campaigns', { ...form, ...campaign })).status).toBe(303);
    const changed = await browser.post('/console/campaigns', {
      ...form,
      ...campaign,
      title: 'Billing run tomorrow',
    });
    expect(changed.status).toBe(422);
    expect(await changed.text()).toContain('This form was sent before');
    expect(await count('campaigns')).toBe(1);
  });

  /**
   * Runs `body` with `effect` done by a trigger at the commit of each transaction that adds a
   * component (a deferred constraint trigger: the last thing before the commit), and a log of
   * every component a transaction added, which the trigger keeps whatever `effect` does.
   */
  async function atComponentCommit(effect: string, body: () => Promise<void>) {
    const db = t.deps.db;
    await db.execute(sql`create table component_adds (name text not null)`);
    await db.execute(
      sql.raw(`create function at_component_commit() returns trigger language plpgsql as $$
        begin
          insert into component_adds values (new.name);
          ${effect};
          return null;
        end $$`),
    );
    await db.execute(
      sql`create constraint trigger at_component_commit after insert on status_components
        deferrable initially deferred for each row execute function at_component_commit()`,
    );
    try {
      await body();
    } finally {
      await db.execute(sql`drop trigger at_component_commit on status_components`);
      await db.execute(sql`drop function at_component_commit`);
      await db.execute(sql`drop table component_adds`);
    }
  }

  it('frees the key of a submit that failed before its work committed, so sending it again adds once', async () => {
    const form = await formOn(browser, '/console/status', '/console/status/components');
    const fields = { ...form, name: 'Dashboard' };
    await atComponentCommit(
      // The commit fails as a full disk fails it: the component is not added.
      "raise exception 'could not extend file' using errcode = 'disk_full'",
      async () => {
        const failed = await browser.post('/console/status/components', fields);
        expect(failed.status).toBe(503);
        expect(await count('status_components')).toBe(1);
      },
    );
    const again = await browser.post('/console/status/components', fields);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/^\/console\/status\?done=Added/);
    expect(await count('status_components')).toBe(2);
  });

  it('keeps the key of a submit that failed after its work committed, so a reload adds nothing', async () => {
    const form = await formOn(browser, '/console/status', '/console/status/components');
    const fields = { ...form, name: 'Dashboard' };
    const adds = async () => count('component_adds');
    await atComponentCommit(
      // Deleted by another hand as it is added: it is gone when the route reads it back.
      'delete from status_components where id = new.id',
      async () => {
        const failed = await browser.post('/console/status/components', fields);
        expect(failed.status).toBe(404);
        expect(await adds()).toBe(1);
        // Its work committed, so the reload is told at once that its answer was lost rather
        // than adding the component again (or waiting on a first submit that has ended).
        const reload = await browser.post('/console/status/components', fields);
        expect(reload.status).toBe(409);
        expect(await reload.text()).toContain('its answer was lost');
        expect(await adds()).toBe(1);
      },
    );
  });

  // A pool is Postgres's: PGlite is one connection in the process.
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'answers other pages while more repeats than the pool holds wait for the first submit',
    async () => {
      const form = await formOn(browser, '/console/status', '/console/status/components');
      const fields = { ...form, name: 'Dashboard' };
      const other = await database.openAnother();
      const locked = signal();
      const release = signal();
      // Another instance's long write holds the table: the first submit's transaction waits.
      const holder = other.db.transaction(async (tx) => {
        await tx.execute(sql`lock table status_components in exclusive mode`);
        locked.fire();
        await release.fired;
      });
      try {
        await locked.fired;
        const first = browser.post('/console/status/components', fields);
        const waitingOnLock = async () =>
          rowsOf<{ n: number }>(
            await other.db.execute(sql`
              select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock'`),
          )[0]?.n;
        while ((await waitingOnLock()) === 0);
        // More repeats than the test database's pool of four connections.
        const repeats = Array.from({ length: 5 }, () =>
          browser.post('/console/status/components', fields),
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const page = browser.get('/console/status').then((answer) => answer.status);
        const starved = new Promise((resolve) => setTimeout(resolve, 5_000, 'no answer'));
        expect(await Promise.race([page, starved])).toBe(200);
        // Only the first waits on a lock; the repeats wait between short reads.
        expect(await waitingOnLock()).toBe(1);
        release.fire();
        await holder;
        const answers = await Promise.all([first, ...repeats]);
        expect(answers.map((answer) => answer.status)).toEqual([303, 303, 303, 303, 303, 303]);
        const places = new Set(answers.map((answer) => answer.headers.get('location')));
        expect(places.size).toBe(1);
        expect(await count('status_components')).toBe(2);
      } finally {
        release.fire();
        await holder;
        await other.close();
      }
    },
  );

  it('opens one incident when the same submit arrives twice at once', async () => {
    const form = await formOn(browser, '/console/status', '/console/status/incidents');
    const fields = {
      ...form,
      name: 'Login failures',
      body: 'We are on it.',
      impact: 'major',
      components: [apiId],
      component_status: 'major_outage',
    };
    const answers = await Promise.all([
      browser.post('/console/status/incidents', fields),
      browser.post('/console/status/incidents', fields),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([303, 303]);
    expect(answers[1]?.headers.get('location')).toBe(answers[0]?.headers.get('location'));
    expect(await count('incidents')).toBe(1);
  });

  it('creates one campaign when the same submit arrives twice at once', async () => {
    const form = await formOn(browser, '/console/campaigns/new', '/console/campaigns');
    const fields = { ...form, ...campaign };
    const answers = await Promise.all([
      browser.post('/console/campaigns', fields),
      browser.post('/console/campaigns', fields),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([303, 303]);
    expect(answers[1]?.headers.get('location')).toBe(answers[0]?.headers.get('location'));
    expect(await count('campaigns')).toBe(1);
  });
});

describe('the console’s API key form, whose answer shows a secret once', () => {
  let t: TestApp;
  let admin: Browser;
  beforeAll(async () => {
    t = await startTestApp();
    admin = consoleClient(t);
    await admin.signIn(t.adminKey);
  });
  afterAll(() => t.close());

  const keysNamed = async (name: string) =>
    rowsOf<{ id: string; prefix: string }>(
      await t.deps.db.execute(sql`select id, prefix from api_keys where name = ${name}`),
    );
  const secretOn = (markup: string) => /id="new-key-secret">([^<]+)</.exec(markup)?.[1] ?? '';

  it('creates one key from a form sent twice; the repeat names it and says its secret was shown once', async () => {
    const form = await formOn(admin, '/console/api-keys', '/console/api-keys');
    expect(form._idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    const fields = { ...form, name: 'billing backend', role: 'app' };
    const first = await admin.post('/console/api-keys', fields);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('location')).toBeNull();
    const secret = secretOn(await first.text());
    expect(secret).toMatch(/^fst_/);

    const again = await admin.post('/console/api-keys', fields);
    expect(again.status).toBe(303);
    const keys = await keysNamed('billing backend');
    expect(keys).toHaveLength(1);
    const page = await (await admin.get(again.headers.get('location') ?? '')).text();
    expect(page).toContain('This form was sent before');
    expect(page).toContain(
      `the app key &quot;billing backend&quot; (<code>${keys[0]?.prefix}…</code>)`,
    );
    expect(page).toContain('Its secret was shown only once');
    expect(page).toContain('revoke it and create another');
    expect(page).not.toContain(secret);
    expect(page).not.toContain('id="new-key-secret"');

    // The secret is kept nowhere but in the answer that showed it, nor logged.
    const stored = await t.deps.db.execute(sql`select * from idempotency_keys`);
    expect(JSON.stringify(rowsOf(stored))).not.toContain(secret);
    expect(t.logs.join('\n')).not.toContain(secret);
  });

  it('creates one key when the same submit arrives twice at once, showing its secret to one', async () => {
    const form = await formOn(admin, '/console/api-keys', '/console/api-keys');
    const fields = { ...form, name: 'search backend', role: 'app' };
    const answers = await Promise.all([
      admin.post('/console/api-keys', fields),
      admin.post('/console/api-keys', fields),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 303]);
    expect(await keysNamed('search backend')).toHaveLength(1);
  });

  it('keeps the key on a form sent back with errors, so the fixed form still creates once', async () => {
    const form = await formOn(admin, '/console/api-keys', '/console/api-keys');
    const refused = await admin.post('/console/api-keys', { ...form, name: '', role: 'app' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(`value="${form._idempotency_key}"`);
    const fields = { ...form, name: 'mail backend', role: 'app' };
    expect((await admin.post('/console/api-keys', fields)).status).toBe(200);
    expect((await admin.post('/console/api-keys', fields)).status).toBe(303);
    expect(await keysNamed('mail backend')).toHaveLength(1);
  });

  it('gives a form shown after a key was created a new one-time key', async () => {
    const form = await formOn(admin, '/console/api-keys', '/console/api-keys');
    const created = await admin.post('/console/api-keys', { ...form, name: 'one', role: 'ops' });
    const next = /name="_idempotency_key" value="([^"]+)"/.exec(await created.text())?.[1];
    expect(next).toMatch(/^[0-9a-f-]{36}$/);
    expect(next).not.toBe(form._idempotency_key);
  });
});
