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
    expect(taken.status).toBe(400);
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
