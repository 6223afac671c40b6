import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

type Browser = ReturnType<typeof consoleClient>;

/** The hidden fields of the form posting to `action` in `page`, the version among them. */
function formIn(page: string, action: string): Record<string, string> {
  const form = page
    .split('<form')
    .find((markup) => markup.includes(`action="${action}"`))
    ?.split('</form>')[0];
  if (!form) throw new Error(`no form posting to ${action}`);
  const hidden: Record<string, string> = {};
  for (const [, name, value] of form.matchAll(/type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    if (name) hidden[name] = value ?? '';
  }
  return hidden;
}

// The test clock starts at 2026-03-02T09:00:00Z.
describe('status forms shown before a colleague’s change, in the console', () => {
  let t: TestApp;
  let browser: Browser;
  let opsKey: string;
  let appKey: string;
  let apiId: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops');
    appKey = await t.keyFor('app');
    browser = consoleClient(t);
    await browser.signIn(opsKey);
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate incidents, status_components, campaigns, accounts cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    t.deps.notices.catalog.invalidate();
    const api = await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } });
    apiId = (await readJson(api)).id;
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'uses-api', components: ['API'] }] },
    });
  });

  const banners = async () =>
    (await readJson(await t.request('/v1/accounts/uses-api/notices', { key: appKey }))).notices;
  const stored = async (id: string) => ({
    incident: rowsOf(await t.deps.db.execute(sql`select * from incidents where id = ${id}`)),
    updates: rowsOf(
      await t.deps.db.execute(sql`select * from incident_updates where incident_id = ${id}`),
    ),
    components: rowsOf(await t.deps.db.execute(sql`select status from status_components`)),
    campaigns: rowsOf(await t.deps.db.execute(sql`select * from campaigns order by id`)),
  });
  const openIncident = async () =>
    readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        key: opsKey,
        json: {
          name: 'Elevated API errors',
          impact: 'major',
          body: 'Investigating.',
          components: [{ id: apiId, status: 'partial_outage' }],
        },
      }),
    );
  const colleague = (kind: 'incidents' | 'maintenances', id: string, json: object) =>
    t.request(`/v1/status/${kind}/${id}/updates`, { method: 'POST', key: opsKey, json });

  it('refuses an update form shown before a colleague resolved the incident, says so, and reopens nothing', async () => {
    const incident = await openIncident();
    const action = `/console/status/incidents/${incident.id}/updates`;
    const form = formIn(await (await browser.get('/console/status')).text(), action);
    expect(form.version).toMatch(/^\d+$/);

    t.clock.set('2026-03-02T10:00:00Z');
    expect(
      (await colleague('incidents', incident.id, { status: 'resolved', body: 'fixed' })).status,
    ).toBe(200);
    const before = await stored(incident.id);

    t.clock.set('2026-03-02T10:05:00Z');
    const refused = await browser.post(action, { ...form, status: 'monitoring', body: 'stale' });
    expect(refused.status).toBe(409);
    const markup = await refused.text();
    expect(markup).toContain('Nothing was posted');
    expect(markup).toContain('changed since this page was shown');
    expect(markup).toContain('resolved');
    expect(markup).toContain('fixed');
    expect(markup).toContain(`href="/console/status/incidents/${incident.id}/reopen"`);
    expect(await stored(incident.id)).toEqual(before);
    expect(await banners()).toEqual([]);
  });

  it('keeps what was typed when the incident moved on meanwhile, and posts it once sent again at the version shown', async () => {
    const incident = await openIncident();
    const action = `/console/status/incidents/${incident.id}/updates`;
    const form = formIn(await (await browser.get('/console/status')).text(), action);
    expect(
      (await colleague('incidents', incident.id, { status: 'identified', body: 'A bad deploy.' }))
        .status,
    ).toBe(200);
    const before = await stored(incident.id);

    const typed = { status: 'monitoring', body: 'Rolled back; watching.' };
    const refused = await browser.post(action, { ...form, ...typed });
    expect(refused.status).toBe(409);
    const markup = await refused.text();
    expect(markup).toContain('changed since this page was shown');
    expect(markup).toContain('A bad deploy.');
    expect(markup).toContain('Rolled back; watching.');
    expect(await stored(incident.id)).toEqual(before);

    const again = formIn(markup, action);
    expect(Number(again.version)).toBeGreaterThan(Number(form.version));
    const posted = await browser.post(action, { ...again, ...typed });
    expect(posted.status).toBe(303);
    expect((await stored(incident.id)).incident[0]).toMatchObject({ status: 'monitoring' });
  });

  it('refuses a maintenance update form shown before a colleague completed it', async () => {
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        key: opsKey,
        json: {
          name: 'Database upgrade',
          body: 'Read-only for a while.',
          scheduled_for: '2026-03-02T09:30:00Z',
          scheduled_until: '2026-03-02T12:00:00Z',
          components: [apiId],
          auto_transition: false,
        },
      }),
    );
    const action = `/console/status/maintenances/${maintenance.id}/updates`;
    const form = formIn(await (await browser.get('/console/status')).text(), action);
    expect(form.version).toMatch(/^\d+$/);
    expect(
      (
        await colleague('maintenances', maintenance.id, {
          status: 'completed',
          body: 'Called off.',
        })
      ).status,
    ).toBe(200);
    const before = await stored(maintenance.id);

    const refused = await browser.post(action, {
      ...form,
      status: 'in_progress',
      body: 'Starting.',
    });
    expect(refused.status).toBe(409);
    const markup = await refused.text();
    expect(markup).toContain('changed since this page was shown');
    expect(markup).toContain('completed');
    expect(await stored(maintenance.id)).toEqual(before);
  });

  it('refuses a reopen form shown before a colleague reopened and resolved the incident again', async () => {
    const incident = await openIncident();
    await colleague('incidents', incident.id, { status: 'resolved', body: 'fixed' });
    const action = `/console/status/incidents/${incident.id}/reopen`;
    const form = formIn(await (await browser.get(action)).text(), action);
    expect(form.version).toMatch(/^\d+$/);
    await colleague('incidents', incident.id, { status: 'identified', body: 'Back again.' });
    await colleague('incidents', incident.id, { status: 'resolved', body: 'Fixed for good.' });
    const before = await stored(incident.id);

    const refused = await browser.post(action, {
      ...form,
      status: 'investigating',
      body: 'Errors again.',
      impact: 'major',
      component_status: 'major_outage',
    });
    expect(refused.status).toBe(409);
    const markup = await refused.text();
    expect(markup).toContain('changed since this page was shown');
    expect(markup).toContain('Fixed for good.');
    expect(await stored(incident.id)).toEqual(before);
    expect(await banners()).toEqual([]);
  });
});
