import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('opening an incident from the console', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp();
    for (const name of ['API', 'Dashboard', 'Billing']) {
      const created = await t.request('/v1/status/components', { method: 'POST', json: { name } });
      ids[name] = (await readJson(created)).id;
    }
  });
  afterAll(() => t.close());

  const componentStatuses = async () =>
    Object.fromEntries(
      (await readJson(await t.request('/api/v2/components.json', { key: null }))).components.map(
        (c: { name: string; status: string }) => [c.name, c.status],
      ),
    );

  it('refuses a status no component can have, and changes nothing', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const csrf = browser.csrfOf(await (await browser.get('/console/status')).text());
    const response = await browser.post('/console/status/incidents', {
      _csrf: csrf,
      name: 'Broken',
      body: 'x',
      impact: 'major',
      components: [ids.API ?? ''],
      component_status: 'major_outage',
      [`status_${ids.Dashboard}`]: 'on_fire',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('The incident was not opened.');
    expect(await componentStatuses()).toEqual({
      API: 'operational',
      Dashboard: 'operational',
      Billing: 'operational',
    });
  });

  it('sets each affected component to its own status', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const page = await (await browser.get('/console/status')).text();
    expect(page).toContain(`name="status_${ids.Dashboard}"`);
    const response = await browser.post('/console/status/incidents', {
      _csrf: browser.csrfOf(page),
      name: 'API down, dashboard slow',
      body: 'We are on it.',
      impact: 'major',
      components: [ids.API ?? '', ids.Dashboard ?? ''],
      component_status: 'major_outage',
      [`status_${ids.Dashboard}`]: 'degraded_performance',
      [`status_${ids.Billing}`]: '',
    });
    expect(response.status).toBe(303);
    expect(await componentStatuses()).toEqual({
      API: 'major_outage',
      Dashboard: 'degraded_performance',
      Billing: 'operational',
    });
  });

  it('moves one component on with an update while the incident goes on', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const page = await (await browser.get('/console/status')).text();
    const action = /action="(\/console\/status\/incidents\/[0-9a-f-]+\/updates)"/.exec(page)?.[1];
    expect(page).toContain('Dashboard now');
    const response = await browser.post(action ?? '', {
      _csrf: browser.csrfOf(page),
      status: 'monitoring',
      body: 'Dashboard is fast again; API still failing.',
      [`status_${ids.Dashboard}`]: 'operational',
      [`status_${ids.API}`]: '',
    });
    expect(response.status).toBe(303);
    expect(await componentStatuses()).toEqual({
      API: 'major_outage',
      Dashboard: 'operational',
      Billing: 'operational',
    });
  });

  it('edits a component: renames it and sets its status by hand; a bad name changes nothing', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const path = `/console/status/components/${ids.Billing}`;
    const form = await (await browser.get(path)).text();
    expect(form).toContain('value="Billing"');
    const csrf = browser.csrfOf(form);
    const taken = await browser.post(path, { _csrf: csrf, name: 'API', status: 'operational' });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toMatch(/id="name-error"/);
    const empty = await browser.post(path, { _csrf: csrf, name: '', status: 'operational' });
    expect(empty.status).toBe(400);
    expect((await componentStatuses()).Billing).toBe('operational');
    const saved = await browser.post(path, {
      _csrf: csrf,
      name: 'Billing portal',
      description: 'Invoices and payment methods',
      status: 'under_maintenance',
    });
    expect(saved.status).toBe(303);
    expect(await componentStatuses()).toMatchObject({ 'Billing portal': 'under_maintenance' });
    expect(await (await browser.get('/console/status')).text()).toContain(
      `href="/console/status/components/${ids.Billing}"`,
    );
    expect((await browser.get('/console/status/components/not-a-component')).status).toBe(404);
  });

  it('offers a group, which marks every component in it', async () => {
    const group = await readJson(
      await t.request('/v1/status/components', {
        method: 'POST',
        json: { name: 'Payments', group: true },
      }),
    );
    for (const name of ['Checkout', 'Refunds']) {
      const created = await t.request('/v1/status/components', {
        method: 'POST',
        json: { name, group_id: group.id },
      });
      expect(created.status).toBe(201);
    }
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const page = await (await browser.get('/console/status')).text();
    expect(page).toContain('Payments (every component in it)');
    // A group has no status of its own to give.
    expect(page).not.toContain(`name="status_${group.id}"`);
    const response = await browser.post('/console/status/incidents', {
      _csrf: browser.csrfOf(page),
      name: 'Payments failing',
      body: 'Card payments fail.',
      impact: 'major',
      components: [group.id],
      component_status: 'partial_outage',
    });
    expect(response.status).toBe(303);
    expect(await componentStatuses()).toMatchObject({
      Checkout: 'partial_outage',
      Refunds: 'partial_outage',
    });
  });
});

describe('reopening from the console what was resolved too early', () => {
  let t: TestApp;
  let apiId = '';
  /** The maintenance reopened and completed again below. */
  let maintenanceId = '';
  beforeAll(async () => {
    t = await startTestApp();
    const created = await t.request('/v1/status/components', {
      method: 'POST',
      json: { name: 'API' },
    });
    apiId = (await readJson(created)).id;
  });
  afterAll(() => t.close());

  const DAY = 24 * 60 * 60 * 1000;
  const post = async (path: string, json: unknown) =>
    readJson(await t.request(path, { method: 'POST', json }));

  /** An incident opened with API at major outage, then resolved. */
  const resolvedIncident = async (name: string) => {
    const incident = await post('/v1/status/incidents', {
      name,
      body: 'API errors.',
      impact: 'major',
      components: [{ id: apiId, status: 'major_outage' }],
    });
    await post(`/v1/status/incidents/${incident.id}/updates`, {
      status: 'resolved',
      body: 'Fixed.',
    });
    return incident.id as string;
  };

  const unresolvedIds = async () =>
    (
      await readJson(await t.request('/api/v2/incidents/unresolved.json', { key: null }))
    ).incidents.map((i: { id: string }) => i.id);
  const componentStatuses = async () =>
    Object.fromEntries(
      (await readJson(await t.request('/api/v2/components.json', { key: null }))).components.map(
        (c: { name: string; status: string }) => [c.name, c.status],
      ),
    );

  /** The status page's "Recently resolved" card; the reopen page it links to, and its form. */
  const recentlyResolved = (page: string) =>
    /<section[^>]*aria-labelledby="resolved-h"[\s\S]*?<\/section>/.exec(page)?.[0] ?? '';
  const reopenPath = (kind: 'incidents' | 'maintenances', id: string) =>
    `/console/status/${kind}/${id}/reopen`;
  const reopenForm = (page: string, id: string) =>
    new RegExp(`<form[^>]*action="/console/status/[a-z]+/${id}/reopen"[\\s\\S]*?</form>`).exec(
      page,
    )?.[0] ?? '';

  const signedInAs = async (role: 'ops' | 'analyst') => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor(role));
    return browser;
  };

  it('lists an incident resolved this week under recently resolved and reopens it from there', async () => {
    const id = await resolvedIncident('Errors on the API');
    t.clock.advance(DAY);
    const browser = await signedInAs('ops');
    const status = await (await browser.get('/console/status')).text();
    expect(recentlyResolved(status)).toContain('Errors on the API');
    expect(recentlyResolved(status)).toContain(`href="${reopenPath('incidents', id)}"`);
    const page = await (await browser.get(reopenPath('incidents', id))).text();
    const form = reopenForm(page, id);
    // Only the states that reopen it are offered.
    expect(form).toContain('value="investigating"');
    expect(form).not.toContain('value="resolved"');
    const response = await browser.post(reopenPath('incidents', id), {
      _csrf: browser.csrfOf(page),
      status: 'identified',
      body: 'The errors are back.',
    });
    expect(response.status).toBe(303);
    expect(await unresolvedIds()).toContain(id);
    const components = await readJson(await t.request('/api/v2/components.json', { key: null }));
    expect(components.components[0].status).toBe('major_outage');
    const after = await (await browser.get('/console/status')).text();
    expect(recentlyResolved(after)).not.toContain('Errors on the API');
    // Resolved again, so the next test starts from a resolved page.
    await post(`/v1/status/incidents/${id}/updates`, { status: 'resolved', body: 'Fixed.' });
  });

  it('reopens a maintenance the clock completed, then completes it past its window', async () => {
    const maintenance = await post('/v1/status/maintenances', {
      name: 'Database upgrade',
      body: 'Upgrading.',
      scheduled_for: new Date(t.clock.now().getTime() + 60_000).toISOString(),
      scheduled_until: new Date(t.clock.now().getTime() + 3_600_000).toISOString(),
      components: [apiId],
    });
    maintenanceId = maintenance.id;
    t.clock.advance(2 * 3_600_000);
    const browser = await signedInAs('ops');
    const status = await (await browser.get('/console/status')).text();
    expect(recentlyResolved(status)).toContain(
      `href="${reopenPath('maintenances', maintenance.id)}"`,
    );
    const page = await (await browser.get(reopenPath('maintenances', maintenance.id))).text();
    const form = reopenForm(page, maintenance.id);
    expect(form).toContain('value="in_progress"');
    expect(form).toContain('value="verifying"');
    expect(form).not.toContain('value="completed"');
    // A maintenance's components are its own: none to choose.
    expect(form).not.toContain('name="components"');
    const response = await browser.post(reopenPath('maintenances', maintenance.id), {
      _csrf: browser.csrfOf(page),
      status: 'in_progress',
      body: 'Not finished after all.',
    });
    expect(response.status).toBe(303);
    const active = await readJson(
      await t.request('/api/v2/scheduled-maintenances/active.json', { key: null }),
    );
    expect(active.scheduled_maintenances.map((m: { id: string }) => m.id)).toEqual([
      maintenance.id,
    ]);
    // Past its window the clock no longer completes it: the page offers to.
    const open = await (await browser.get('/console/status')).text();
    expect(open).toContain('it stays open until you complete it');
    const completed = await browser.post(`/console/status/maintenances/${maintenance.id}/updates`, {
      _csrf: browser.csrfOf(open),
      status: 'completed',
      body: 'Done now.',
    });
    expect(completed.status).toBe(303);
    const after = await readJson(
      await t.request('/api/v2/scheduled-maintenances/active.json', { key: null }),
    );
    expect(after.scheduled_maintenances).toEqual([]);
  });

  it('updates a maintenance before and inside its window: started early, then completed early', async () => {
    const maintenance = await post('/v1/status/maintenances', {
      name: 'Search reindex',
      body: 'Search may be slow.',
      scheduled_for: new Date(t.clock.now().getTime() + 3_600_000).toISOString(),
      scheduled_until: new Date(t.clock.now().getTime() + 3 * 3_600_000).toISOString(),
      components: [apiId],
    });
    const browser = await signedInAs('ops');
    const formFor = (page: string) =>
      new RegExp(
        `<form[^>]*action="/console/status/maintenances/${maintenance.id}/updates"[\\s\\S]*?</form>`,
      ).exec(page)?.[0] ?? '';
    const statesIn = (form: string) =>
      [...form.matchAll(/<option value="([a-z_]+)"/g)].map((m) => m[1]);
    const active = async () =>
      (
        await readJson(await t.request('/api/v2/scheduled-maintenances/active.json', { key: null }))
      ).scheduled_maintenances.map((m: { id: string }) => m.id);

    const before = await (await browser.get('/console/status')).text();
    expect(statesIn(formFor(before))).toEqual(['scheduled', 'in_progress', 'completed']);
    const started = await browser.post(`/console/status/maintenances/${maintenance.id}/updates`, {
      _csrf: browser.csrfOf(before),
      status: 'in_progress',
      body: 'Starting early while traffic is low.',
    });
    expect(started.status).toBe(303);
    expect(await active()).toEqual([maintenance.id]);

    t.clock.advance(2 * 3_600_000);
    const inside = await (await browser.get('/console/status')).text();
    expect(statesIn(formFor(inside))).toEqual(['in_progress', 'verifying', 'completed']);
    const done = await browser.post(`/console/status/maintenances/${maintenance.id}/updates`, {
      _csrf: browser.csrfOf(inside),
      status: 'completed',
      body: 'Finished ahead of time.',
    });
    expect(done.status).toBe(303);
    expect(await active()).toEqual([]);
    // Completed this week: it moves to the recently resolved card, ready to reopen.
    const after = await (await browser.get('/console/status')).text();
    expect(recentlyResolved(after)).toContain(reopenPath('maintenances', maintenance.id));
    const reopen = await (await browser.get(reopenPath('maintenances', maintenance.id))).text();
    expect(reopenForm(reopen, maintenance.id)).toContain('value="in_progress"');
  });

  it('shows what is wrong with a reopening and changes nothing', async () => {
    const id = await resolvedIncident('Slow API');
    const browser = await signedInAs('ops');
    const page = await (await browser.get(reopenPath('incidents', id))).text();
    const csrf = browser.csrfOf(page);
    const empty = await browser.post(reopenPath('incidents', id), {
      _csrf: csrf,
      status: 'investigating',
      body: '',
    });
    expect(empty.status).toBe(400);
    const shown = await empty.text();
    expect(shown).toContain('The update was not posted.');
    // The message sits by the field, in the resolved incident's own form.
    expect(reopenForm(shown, id)).toMatch(/class="error" id="[^"]*body-error"/);
    const resolvedAgain = await browser.post(reopenPath('incidents', id), {
      _csrf: csrf,
      status: 'resolved',
      body: 'Still fixed.',
    });
    expect(resolvedAgain.status).toBe(409);
    expect(await resolvedAgain.text()).toContain('an update with another status reopens it');
    expect(await unresolvedIds()).not.toContain(id);
  });

  it('reopens once: a second reopening of what is open already is refused, and posts nothing', async () => {
    const id = await resolvedIncident('Reopened twice');
    const browser = await signedInAs('ops');
    const page = await (await browser.get(reopenPath('incidents', id))).text();
    const reopening = { _csrf: browser.csrfOf(page), body: 'Back.' };
    const first = await browser.post(reopenPath('incidents', id), {
      ...reopening,
      status: 'investigating',
    });
    expect(first.status).toBe(303);
    const second = await browser.post(reopenPath('incidents', id), {
      ...reopening,
      status: 'identified',
    });
    expect(second.status).toBe(409);
    const shown = await second.text();
    expect(shown).toContain('It is open already; nothing was posted.');
    expect(reopenForm(shown, id)).toBe('');
    const unresolved = await readJson(
      await t.request('/api/v2/incidents/unresolved.json', { key: null }),
    );
    const incident = unresolved.incidents.find((i: { id: string }) => i.id === id);
    expect(incident?.status).toBe('investigating');
    expect(incident?.incident_updates).toHaveLength(3);
    const open = await (await browser.get(reopenPath('incidents', id))).text();
    expect(open).toContain('It is open');
    expect(reopenForm(open, id)).toBe('');
    await post(`/v1/status/incidents/${id}/updates`, { status: 'resolved', body: 'Fixed.' });
  });

  it('answers a reopening of an unknown id with a not found page, changing nothing', async () => {
    const id = await resolvedIncident('Looked up by kind');
    const browser = await signedInAs('ops');
    const csrf = browser.csrfOf(await (await browser.get('/console/status')).text());
    const unknown = '01900000-0000-7000-8000-000000000000';
    for (const path of [
      reopenPath('incidents', unknown),
      reopenPath('incidents', 'not-a-uuid'),
      // An incident is not a maintenance.
      reopenPath('maintenances', id),
    ]) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(404);
      expect(await page.text(), path).toContain('<h1>Not found</h1>');
      for (const status of ['investigating', 'in_progress']) {
        const posted = await browser.post(path, { _csrf: csrf, status, body: 'Back.' });
        expect(posted.status, path).toBe(404);
        expect(await posted.text(), path).toContain('<h1>Not found</h1>');
      }
    }
    expect(await unresolvedIds()).not.toContain(id);
  });

  it('reopens an incident with the impact and components it affects now', async () => {
    const dashboard = await post('/v1/status/components', { name: 'Dashboard' });
    const id = await resolvedIncident('Errors on the API again');
    const browser = await signedInAs('ops');
    const page = await (await browser.get(reopenPath('incidents', id))).text();
    const form = reopenForm(page, id);
    expect(form).toContain('name="impact"');
    expect(form).toContain(`value="${dashboard.id}"`);
    expect(form).toContain(`name="status_${dashboard.id}"`);
    const response = await browser.post(reopenPath('incidents', id), {
      _csrf: browser.csrfOf(page),
      status: 'investigating',
      body: 'The dashboard fails too now.',
      impact: 'critical',
      components: [dashboard.id],
      component_status: 'partial_outage',
    });
    expect(response.status).toBe(303);
    const unresolved = await readJson(
      await t.request('/api/v2/incidents/unresolved.json', { key: null }),
    );
    expect(unresolved.incidents.find((i: { id: string }) => i.id === id)?.impact).toBe('critical');
    // API, not named, is back at the outage its resolution ended; Dashboard as posted.
    expect(await componentStatuses()).toEqual({
      API: 'major_outage',
      Dashboard: 'partial_outage',
    });
    await post(`/v1/status/incidents/${id}/updates`, { status: 'resolved', body: 'Fixed.' });
    expect(await componentStatuses()).toEqual({ API: 'operational', Dashboard: 'operational' });
  });

  it('refuses an impact or a component a reopening cannot have, by its field, and changes nothing', async () => {
    const id = await resolvedIncident('Refused reopening');
    const browser = await signedInAs('ops');
    const page = await (await browser.get(reopenPath('incidents', id))).text();
    const reopening = { _csrf: browser.csrfOf(page), status: 'investigating', body: 'Back.' };
    const badImpact = await browser.post(reopenPath('incidents', id), {
      ...reopening,
      impact: 'apocalyptic',
    });
    expect(badImpact.status).toBe(400);
    const shownImpact = reopenForm(await badImpact.text(), id);
    expect(shownImpact).toMatch(/class="error" id="[^"]*impact-error"/);
    // What was typed is kept.
    expect(shownImpact).toContain('Back.');
    const unknown = await browser.post(reopenPath('incidents', id), {
      ...reopening,
      components: ['7d1f9c8e-0000-4000-8000-000000000000'],
      component_status: 'major_outage',
    });
    expect(unknown.status).toBe(400);
    const shownUnknown = reopenForm(await unknown.text(), id);
    expect(shownUnknown).toMatch(/class="error" id="[^"]*components-error"[^>]*>[^<]*no component/);
    const badStatus = await browser.post(reopenPath('incidents', id), {
      ...reopening,
      components: [apiId],
      component_status: 'on_fire',
    });
    expect(badStatus.status).toBe(400);
    expect(await unresolvedIds()).not.toContain(id);
    expect((await componentStatuses()).API).toBe('operational');
  });

  it('leaves out what was resolved more than a week ago', async () => {
    const id = await resolvedIncident('Last month');
    t.clock.advance(8 * DAY);
    const browser = await signedInAs('ops');
    const card = recentlyResolved(await (await browser.get('/console/status')).text());
    expect(card).toContain('Nothing resolved in the last 7 days.');
    expect(card).not.toContain(id);
  });

  it('neither shows nor takes a reopening from an analyst', async () => {
    const id = await resolvedIncident('Analyst tries');
    const browser = await signedInAs('analyst');
    expect((await browser.get('/console/status')).status).toBe(403);
    const csrf = browser.csrfOf(await (await browser.get('/console/events')).text());
    expect((await browser.get(reopenPath('incidents', id))).status).toBe(403);
    const response = await browser.post(reopenPath('incidents', id), {
      _csrf: csrf,
      status: 'investigating',
      body: 'Reopen please.',
      impact: 'critical',
      components: [apiId],
      component_status: 'major_outage',
    });
    expect(response.status).toBe(403);
    expect(await unresolvedIds()).not.toContain(id);
    expect((await componentStatuses()).API).toBe('operational');
    for (const path of [
      reopenPath('maintenances', maintenanceId),
      `/console/status/maintenances/${maintenanceId}/updates`,
    ]) {
      const maintenance = await browser.post(path, {
        _csrf: csrf,
        status: 'in_progress',
        body: 'Reopen please.',
      });
      expect(maintenance.status, path).toBe(403);
    }
    const active = await readJson(
      await t.request('/api/v2/scheduled-maintenances/active.json', { key: null }),
    );
    expect(active.scheduled_maintenances).toEqual([]);
  });
});

describe('the recently resolved card', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const post = async (path: string, json: unknown) => {
    const response = await t.request(path, { method: 'POST', json });
    expect(response.status).toBeLessThan(300);
    return readJson(response);
  };
  // A second apart, so that what was opened or resolved first is so by its time.
  const open = async (name: string) => {
    t.clock.advance(1_000);
    const opened = await post('/v1/status/incidents', {
      name,
      body: 'Errors.',
      notify_accounts: false,
    });
    return opened.id as string;
  };
  const resolve = (id: string) => {
    t.clock.advance(1_000);
    return post(`/v1/status/incidents/${id}/updates`, { status: 'resolved', body: 'Fixed.' });
  };

  it('grows with neither components nor resolutions: each adds a link to its reopen page, no form', async () => {
    const components: string[] = [];
    for (let i = 0; i < 30; i++) {
      components.push((await post('/v1/status/components', { name: `Component ${i}` })).id);
    }
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const selects = async () => {
      const page = await (await browser.get('/console/status')).text();
      return page.match(/<select/g)?.length ?? 0;
    };
    const before = await selects();
    // The incident form's impact, common status and one per component.
    expect(before).toBe(32);
    const resolved: string[] = [];
    for (let i = 0; i < 20; i++) resolved.push(await open(`Resolved ${i}`));
    for (const id of resolved) await resolve(id);
    expect(await selects()).toBe(before);
    const page = await (await browser.get('/console/status')).text();
    const links = page.match(/href="\/console\/status\/incidents\/[0-9a-f-]+\/reopen"/g);
    expect(links).toHaveLength(20);
  }, 60_000);

  it('lists what was resolved this week however many incidents were opened after it, the newest 100, saying there are more', async () => {
    // Opened first, resolved last: the newest resolution, behind 100 incidents opened since.
    const first = await open('Opened first, resolved last');
    const later: string[] = [];
    for (let i = 0; i < 100; i++) later.push(await open(`Later incident ${i}`));
    for (const id of later) await resolve(id);
    await resolve(first);
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const page = await (await browser.get('/console/status')).text();
    const card = /<section[^>]*aria-labelledby="resolved-h"[\s\S]*?<\/section>/.exec(page)?.[0];
    expect(card).toContain('Opened first, resolved last');
    const links = card?.match(/href="\/console\/status\/incidents\/[0-9a-f-]+\/reopen"/g) ?? [];
    expect(links).toHaveLength(100);
    // The earliest resolution is the one left out, and the card says some are.
    expect(card).not.toContain(`/${later[0]}/reopen`);
    expect(card).toContain(`/${later[1]}/reopen`);
    expect(card).toMatch(/More were resolved in the last 7 days/);
    // 202 status changes, each a transaction of its own.
  }, 120_000);
});
