import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { expectProblem } from '../../helpers/problem';
import { raceForComponentName } from '../../helpers/racing-name';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// The test clock starts at 2026-03-02T09:00:00Z.
describe('status: components, incidents, maintenance and the public Statuspage API', () => {
  let t: TestApp;
  let appKey: string;
  let core: { id: string };
  let api: { id: string };
  let dashboard: { id: string };
  beforeAll(async () => {
    t = await startTestApp();
    appKey = await t.keyFor('app');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate incidents, status_components, campaigns, accounts cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    t.deps.notices.catalog.invalidate();
    core = await readJson(
      await t.request('/v1/status/components', {
        method: 'POST',
        json: { name: 'Core', group: true },
      }),
    );
    const add = async (name: string, position: number) =>
      readJson(
        await t.request('/v1/status/components', {
          method: 'POST',
          json: { name, group_id: core.id, position },
        }),
      );
    api = await add('API', 1);
    dashboard = await add('Dashboard', 2);
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'uses-api', components: ['api'] },
          { id: 'dashboard-only', components: ['Dashboard'] },
        ],
      },
    });
  });

  const banners = async (account: string) =>
    (await readJson(await t.request(`/v1/accounts/${account}/notices`, { key: appKey }))).notices;
  const publicJson = async (path: string) =>
    readJson(await t.request(`/api/v2/${path}`, { key: null }));
  const byName = (components: { name: string; status: string }[]) =>
    Object.fromEntries(components.map((c) => [c.name, c.status]));
  const opsStatuses = async () =>
    byName((await readJson(await t.request('/v1/status/components'))).data);
  const publicStatuses = async () => byName((await publicJson('components.json')).components);
  const scheduleMaintenance = (components: string[]) =>
    t.request('/v1/status/maintenances', {
      method: 'POST',
      json: {
        name: 'Database upgrade',
        body: 'Read-only for a while.',
        scheduled_for: '2026-03-03T02:00:00Z',
        scheduled_until: '2026-03-03T04:00:00Z',
        components,
      },
    });

  it('an incident on API shows a banner to accounts that use API and to no others, until resolved', async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Elevated API errors',
        impact: 'major',
        body: 'We are investigating failed requests.',
        components: [{ id: api.id, status: 'partial_outage' }],
      },
    });
    expect(opened.status).toBe(201);
    const incident = await readJson(opened);
    expect(incident).toMatchObject({
      name: 'Elevated API errors',
      status: 'investigating',
      impact: 'major',
      resolved_at: null,
      incident_updates: [
        {
          status: 'investigating',
          body: 'We are investigating failed requests.',
          affected_components: [
            { code: api.id, name: 'API', old_status: 'operational', new_status: 'partial_outage' },
          ],
        },
      ],
    });

    expect(await banners('uses-api')).toMatchObject([
      { title: 'Elevated API errors', severity: 'critical', cta: { label: 'Status page' } },
    ]);
    expect(await banners('dashboard-only')).toEqual([]);

    const summary = await publicJson('summary.json');
    expect(summary.status).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    expect(summary.incidents.map((i: { id: string }) => i.id)).toEqual([incident.id]);
    const byName = Object.fromEntries(
      summary.components.map((c: { name: string; status: string }) => [c.name, c.status]),
    );
    expect(byName).toEqual({
      Core: 'partial_outage',
      API: 'partial_outage',
      Dashboard: 'operational',
    });

    t.clock.set('2026-03-02T10:00:00Z');
    const resolved = await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed.' },
    });
    expect(await readJson(resolved)).toMatchObject({
      status: 'resolved',
      resolved_at: '2026-03-02T10:00:00.000Z',
    });
    expect(await banners('uses-api')).toEqual([]);
    expect(await publicJson('status.json')).toMatchObject({
      status: { indicator: 'none', description: 'All Systems Operational' },
    });
    expect((await publicJson('incidents/unresolved.json')).incidents).toEqual([]);
    expect((await publicJson('incidents.json')).incidents[0].incident_updates[0]).toMatchObject({
      status: 'resolved',
      affected_components: [
        { name: 'API', old_status: 'partial_outage', new_status: 'operational' },
      ],
    });
    await expectProblem(
      await t.request(`/v1/status/incidents/${incident.id}/updates`, {
        method: 'POST',
        json: { status: 'resolved', body: 'Fixed twice?' },
      }),
      409,
      'conflict',
    );
  });

  it('reopens a resolved incident when the problem returns: status, components, banner, history, uptime and feeds follow', async () => {
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Elevated API errors',
          impact: 'major',
          body: 'Investigating.',
          components: [{ id: api.id, status: 'partial_outage' }],
        },
      }),
    );
    const [firstBanner] = await banners('uses-api');
    const dismissed = await t.request(`/v1/accounts/uses-api/notices/${firstBanner.id}/dismiss`, {
      method: 'POST',
      key: appKey,
    });
    expect(dismissed.status).toBeLessThan(300);
    expect(await banners('uses-api')).toEqual([]);
    t.clock.set('2026-03-02T10:00:00Z');
    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed.' },
    });
    const feedWhenResolved = await t.request('/status/history.atom', { key: null });
    const etagWhenResolved = feedWhenResolved.headers.get('etag');

    t.clock.set('2026-03-02T11:00:00Z');
    const reopened = await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'identified', body: 'The errors are back.' },
    });
    expect(reopened.status).toBe(200);
    expect(await readJson(reopened)).toMatchObject({
      status: 'identified',
      resolved_at: null,
      monitoring_at: null,
      incident_updates: [
        {
          status: 'identified',
          body: 'The errors are back.',
          affected_components: [
            { name: 'API', old_status: 'operational', new_status: 'partial_outage' },
          ],
        },
        { status: 'resolved' },
        { status: 'investigating' },
      ],
    });
    expect(await opsStatuses()).toMatchObject({ API: 'partial_outage', Dashboard: 'operational' });
    expect(await publicStatuses()).toMatchObject({ API: 'partial_outage', Core: 'partial_outage' });
    expect((await publicJson('status.json')).status.indicator).toBe('major');
    expect(
      (await publicJson('incidents/unresolved.json')).incidents.map((i: { id: string }) => i.id),
    ).toEqual([incident.id]);

    // A new banner, shown again to the account that dismissed the first, still to no others.
    expect(await banners('uses-api')).toMatchObject([
      { title: 'Elevated API errors', body_html: '<p>The errors are back.</p>' },
    ]);
    expect((await banners('uses-api'))[0].id).not.toBe(firstBanner.id);
    expect(await banners('dashboard-only')).toEqual([]);

    const feed = await t.request('/status/history.atom', {
      key: null,
      headers: { 'if-none-match': etagWhenResolved ?? '' },
    });
    expect(feed.status).toBe(200);
    expect(await feed.text()).toContain('The errors are back.');

    t.clock.set('2026-03-02T12:00:00Z');
    const uptime = await readJson(await t.request('/status/uptime.json', { key: null }));
    const apiToday = uptime.components
      .find((c: { name: string }) => c.name === 'API')
      .days.find((d: { date: string }) => d.date === '2026-03-02');
    // Down 09:00–10:00, then again from 11:00 to now.
    expect(apiToday.minutes.partial_outage).toBe(120);
    expect(apiToday.incidents).toEqual([{ id: incident.id, name: 'Elevated API errors' }]);

    t.clock.set('2026-03-02T12:30:00Z');
    const resolvedAgain = await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed for good.' },
    });
    expect(await readJson(resolvedAgain)).toMatchObject({
      status: 'resolved',
      resolved_at: '2026-03-02T12:30:00.000Z',
    });
    expect(await opsStatuses()).toMatchObject({ API: 'operational' });
    expect(await banners('uses-api')).toEqual([]);
  });

  it('reopens an incident with the component statuses its update names, and no banner if it had none', async () => {
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Slow dashboard',
          body: 'Investigating.',
          notify_accounts: false,
          components: [{ id: dashboard.id, status: 'degraded_performance' }],
        },
      }),
    );
    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed.' },
    });
    const reopened = await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: {
        status: 'monitoring',
        body: 'Down now; a fix is out.',
        components: [{ id: dashboard.id, status: 'major_outage' }],
      },
    });
    expect(await readJson(reopened)).toMatchObject({
      status: 'monitoring',
      resolved_at: null,
      monitoring_at: '2026-03-02T09:00:00.000Z',
    });
    expect(await opsStatuses()).toMatchObject({ Dashboard: 'major_outage' });
    expect(await banners('dashboard-only')).toEqual([]);
  });

  it('lists a reopened incident in the uptime history on the days it was open, not the days between its resolution and reopening', async () => {
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Elevated API errors',
          body: 'Investigating.',
          notify_accounts: false,
          components: [{ id: api.id, status: 'partial_outage' }],
        },
      }),
    );
    const update = (status: string, body: string) =>
      t.request(`/v1/status/incidents/${incident.id}/updates`, {
        method: 'POST',
        json: { status, body },
      });
    t.clock.set('2026-03-02T10:00:00Z');
    await update('resolved', 'Fixed.');
    t.clock.set('2026-03-05T11:00:00Z');
    expect((await update('identified', 'The errors are back.')).status).toBe(200);
    t.clock.set('2026-03-05T12:00:00Z');
    await update('resolved', 'Fixed for good.');
    t.clock.set('2026-03-06T12:00:00Z');
    const uptime = await readJson(await t.request('/status/uptime.json', { key: null }));
    const days = uptime.components
      .find((c: { name: string }) => c.name === 'API')
      .days.filter((d: { date: string }) => d.date >= '2026-03-02');
    expect(
      days.map((d: { date: string; incidents: { id: string }[]; minutes: object }) => [
        d.date,
        d.incidents.map((i) => i.id),
        d.minutes,
      ]),
    ).toEqual([
      ['2026-03-02', [incident.id], { operational: 840, partial_outage: 60 }],
      ['2026-03-03', [], { operational: 1440 }],
      ['2026-03-04', [], { operational: 1440 }],
      ['2026-03-05', [incident.id], { operational: 1380, partial_outage: 60 }],
      ['2026-03-06', [], { operational: 720 }],
    ]);
  });

  it('shows the banner to the accounts of a component an update adds to the incident, still to the first ones', async () => {
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Elevated API errors',
          body: 'Investigating.',
          components: [{ id: api.id, status: 'partial_outage' }],
        },
      }),
    );
    expect(await banners('dashboard-only')).toEqual([]);
    const spread = await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: {
        status: 'identified',
        body: 'The dashboard is down too.',
        components: [{ id: dashboard.id, status: 'major_outage' }],
      },
    });
    expect(spread.status).toBe(200);
    expect(await banners('dashboard-only')).toMatchObject([
      { title: 'Elevated API errors', body_html: '<p>The dashboard is down too.</p>' },
    ]);
    expect(await banners('uses-api')).toMatchObject([{ title: 'Elevated API errors' }]);
  });

  it('an open banner follows a renamed component: accounts listing the new name see it, those listing the old one still do', async () => {
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Elevated API errors',
        body: 'Investigating.',
        components: [{ id: api.id, status: 'partial_outage' }],
      },
    });
    await scheduleMaintenance([dashboard.id]);
    const rename = async (id: string, name: string) =>
      (await t.request(`/v1/status/components/${id}`, { method: 'PATCH', json: { name } })).status;
    expect(await rename(api.id, 'Public API')).toBe(200);
    expect(await rename(dashboard.id, 'Console')).toBe(200);
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'uses-public-api', components: ['Public API'] },
          { id: 'uses-console', components: ['console'] },
        ],
      },
    });
    expect(await banners('uses-public-api')).toMatchObject([{ title: 'Elevated API errors' }]);
    expect(await banners('uses-api')).toMatchObject([{ title: 'Elevated API errors' }]);
    expect(await banners('uses-console')).toMatchObject([{ title: 'Database upgrade' }]);
    expect(await banners('dashboard-only')).toMatchObject([{ title: 'Database upgrade' }]);
    const campaigns = (await readJson(await t.request('/v1/campaigns?limit=100'))).data;
    const incidentBanner = campaigns.find(
      (c: { title: string }) => c.title === 'Elevated API errors',
    );
    expect(incidentBanner.audience).toEqual({
      type: 'rule',
      any: [
        { attribute: 'components', op: 'contains', value: 'API' },
        { attribute: 'components', op: 'contains', value: 'Public API' },
      ],
    });
  });

  it('a rename reaches a banner audience ops ORed conditions into, and leaves one they ANDed alone', async () => {
    const open = async (name: string) =>
      readJson(
        await t.request('/v1/status/incidents', {
          method: 'POST',
          json: {
            name,
            body: 'Investigating.',
            components: [{ id: api.id, status: 'major_outage' }],
          },
        }),
      );
    await open('Ored');
    await open('Anded');
    const campaignOf = async (title: string) =>
      (await readJson(await t.request('/v1/campaigns?limit=100'))).data.find(
        (c: { title: string }) => c.title === title,
      );
    const usesApi = { attribute: 'components', op: 'contains', value: 'API' };
    const enterprise = { attribute: 'plan', op: 'eq', value: 'enterprise' };
    const ored = { type: 'rule', any: [usesApi, enterprise] };
    const anded = { type: 'rule', all: [usesApi, enterprise] };
    for (const [title, audience] of [
      ['Ored', ored],
      ['Anded', anded],
    ] as const) {
      const edited = await t.request(`/v1/campaigns/${(await campaignOf(title)).id}`, {
        method: 'PATCH',
        json: { audience },
      });
      expect(edited.status).toBe(200);
    }
    const renamed = await t.request(`/v1/status/components/${api.id}`, {
      method: 'PATCH',
      json: { name: 'Public API' },
    });
    expect(renamed.status).toBe(200);
    expect((await campaignOf('Ored')).audience).toEqual({
      type: 'rule',
      any: [usesApi, enterprise, { attribute: 'components', op: 'contains', value: 'Public API' }],
    });
    expect((await campaignOf('Anded')).audience).toEqual(anded);
  });

  it('keeps the banner audience of an incident naming more than 50 components valid, reaching their accounts, when it opens and when it spreads', async () => {
    const many: { id: string }[] = [];
    for (let n = 1; n <= 70; n += 1) {
      many.push(
        await readJson(
          await t.request('/v1/status/components', { method: 'POST', json: { name: `C${n}` } }),
        ),
      );
    }
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'uses-c55', components: ['C55'] },
          { id: 'uses-c70', components: ['C70'] },
        ],
      },
    });
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Region down',
          body: 'Investigating.',
          components: many.slice(0, 60).map(({ id }) => ({ id, status: 'major_outage' })),
        },
      }),
    );
    expect(incident.id).toBeTruthy();
    const campaignOf = async () =>
      (await readJson(await t.request('/v1/campaigns?limit=100'))).data.find(
        (c: { title: string }) => c.title === 'Region down',
      );
    // The console sends the audience back as it read it when ops edit the banner.
    const edit = async () => {
      const campaign = await campaignOf();
      return t.request(`/v1/campaigns/${campaign.id}`, {
        method: 'PATCH',
        json: { audience: campaign.audience },
      });
    };
    expect((await edit()).status).toBe(200);
    expect(await banners('uses-c55')).toMatchObject([{ title: 'Region down' }]);
    expect(await banners('dashboard-only')).toEqual([]);

    const spread = await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: {
        status: 'identified',
        body: 'More services are down.',
        components: many.slice(60).map(({ id }) => ({ id, status: 'major_outage' })),
      },
    });
    expect(spread.status).toBe(200);
    expect((await edit()).status).toBe(200);
    expect(await banners('uses-c70')).toMatchObject([{ title: 'Region down' }]);
    expect(await banners('uses-c55')).toMatchObject([{ title: 'Region down' }]);
    expect(await banners('dashboard-only')).toEqual([]);
  });

  it('moves scheduled maintenance to in progress and completed with its window', async () => {
    const scheduled = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Database upgrade',
          body: 'The dashboard will be read-only.',
          scheduled_for: '2026-03-03T02:00:00Z',
          scheduled_until: '2026-03-03T04:00:00Z',
          components: [dashboard.id],
        },
      }),
    );
    expect(scheduled).toMatchObject({ status: 'scheduled', impact: 'maintenance' });
    expect(
      (await publicJson('scheduled-maintenances/upcoming.json')).scheduled_maintenances,
    ).toHaveLength(1);
    expect(await banners('dashboard-only')).toMatchObject([{ severity: 'maintenance' }]);
    expect(await banners('uses-api')).toEqual([]);

    t.clock.set('2026-03-03T02:30:00Z');
    const active = (await publicJson('scheduled-maintenances/active.json')).scheduled_maintenances;
    expect(active).toMatchObject([{ id: scheduled.id, status: 'in_progress' }]);
    expect(active[0].incident_updates[0]).toMatchObject({ status: 'in_progress' });
    const components = (await publicJson('components.json')).components;
    expect(components.find((c: { name: string }) => c.name === 'Dashboard').status).toBe(
      'under_maintenance',
    );
    expect((await publicJson('status.json')).status.description).toBe('Service Under Maintenance');

    t.clock.set('2026-03-03T04:00:00Z');
    const all = (await publicJson('scheduled-maintenances.json')).scheduled_maintenances;
    expect(all[0]).toMatchObject({ status: 'completed', resolved_at: '2026-03-03T04:00:00.000Z' });
    expect(await banners('dashboard-only')).toEqual([]);
  });

  it('keeps the banner of a maintenance ops move by hand (auto_transition off) until they complete it, past its window', async () => {
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Database upgrade',
          body: 'The dashboard will be read-only.',
          scheduled_for: '2026-03-03T02:00:00Z',
          scheduled_until: '2026-03-03T04:00:00Z',
          components: [dashboard.id],
          auto_transition: false,
        },
      }),
    );
    t.clock.set('2026-03-03T02:10:00Z');
    const update = (status: string, body: string) =>
      t.request(`/v1/status/maintenances/${maintenance.id}/updates`, {
        method: 'POST',
        json: { status, body },
      });
    expect((await update('in_progress', 'Started.')).status).toBe(200);
    t.clock.set('2026-03-03T05:00:00Z');
    const overrun = (await publicJson('scheduled-maintenances/active.json')).scheduled_maintenances;
    expect(overrun).toMatchObject([{ id: maintenance.id, status: 'in_progress' }]);
    expect(await banners('dashboard-only')).toMatchObject([{ severity: 'maintenance' }]);
    expect((await update('completed', 'Done.')).status).toBe(200);
    expect(await banners('dashboard-only')).toEqual([]);
  });

  it('reopens a maintenance completed too early when ops post in_progress: components, banner, feeds and uptime follow, and the clock still ends it', async () => {
    const maintenance = await readJson(await scheduleMaintenance([dashboard.id]));
    const update = (status: string, body: string) =>
      t.request(`/v1/status/maintenances/${maintenance.id}/updates`, {
        method: 'POST',
        json: { status, body },
      });
    t.clock.set('2026-03-03T02:30:00Z');
    const [firstBanner] = await banners('dashboard-only');
    const dismissed = await t.request(
      `/v1/accounts/dashboard-only/notices/${firstBanner.id}/dismiss`,
      { method: 'POST', key: appKey },
    );
    expect(dismissed.status).toBeLessThan(300);
    t.clock.set('2026-03-03T03:00:00Z');
    expect((await update('completed', 'Done early.')).status).toBe(200);
    expect(await opsStatuses()).toMatchObject({ Dashboard: 'operational' });
    const etagWhenCompleted = (await t.request('/status/history.atom', { key: null })).headers.get(
      'etag',
    );

    t.clock.set('2026-03-03T03:10:00Z');
    const reopened = await update('in_progress', 'Not done after all: the replica lags.');
    expect(reopened.status).toBe(200);
    expect(await readJson(reopened)).toMatchObject({
      status: 'in_progress',
      resolved_at: null,
      incident_updates: [
        { status: 'in_progress', body: 'Not done after all: the replica lags.' },
        { status: 'completed' },
        { status: 'in_progress' },
        { status: 'scheduled' },
      ],
    });
    expect(await opsStatuses()).toMatchObject({ Dashboard: 'under_maintenance' });
    expect(await publicStatuses()).toMatchObject({ Dashboard: 'under_maintenance' });
    expect((await publicJson('status.json')).status.description).toBe('Service Under Maintenance');
    expect(
      (await publicJson('scheduled-maintenances/active.json')).scheduled_maintenances,
    ).toMatchObject([{ id: maintenance.id, status: 'in_progress' }]);
    // A new banner, shown again to the account that dismissed the first, still to no others.
    const [again] = await banners('dashboard-only');
    expect(again).toMatchObject({
      title: 'Database upgrade',
      severity: 'maintenance',
      body_html: '<p>Not done after all: the replica lags.</p>',
    });
    expect(again.id).not.toBe(firstBanner.id);
    expect(await banners('uses-api')).toEqual([]);
    const feed = await t.request('/status/history.atom', {
      key: null,
      headers: { 'if-none-match': etagWhenCompleted ?? '' },
    });
    expect(feed.status).toBe(200);
    expect(await feed.text()).toContain('Not done after all');

    t.clock.set('2026-03-03T03:40:00Z');
    const uptime = await readJson(await t.request('/status/uptime.json', { key: null }));
    const day = uptime.components
      .find((c: { name: string }) => c.name === 'Dashboard')
      .days.find((d: { date: string }) => d.date === '2026-03-03');
    // Under way 02:00–03:00, then again from 03:10 to now.
    expect(day.minutes.under_maintenance).toBe(90);

    // Still inside its window, it still moves with the clock: completed at 04:00.
    t.clock.set('2026-03-03T04:00:00Z');
    expect(
      (await publicJson('scheduled-maintenances.json')).scheduled_maintenances[0],
    ).toMatchObject({ status: 'completed', resolved_at: '2026-03-03T04:00:00.000Z' });
    expect(await banners('dashboard-only')).toEqual([]);
    expect(await opsStatuses()).toMatchObject({ Dashboard: 'operational' });
  });

  it('reopens a maintenance the clock completed when ops post verifying past its window, and keeps it open until they complete it', async () => {
    const maintenance = await readJson(await scheduleMaintenance([dashboard.id]));
    const update = (status: string, body: string) =>
      t.request(`/v1/status/maintenances/${maintenance.id}/updates`, {
        method: 'POST',
        json: { status, body },
      });
    t.clock.set('2026-03-03T04:30:00Z');
    expect(await banners('dashboard-only')).toEqual([]);
    const reopened = await update('verifying', 'Still checking the replica.');
    expect(reopened.status).toBe(200);
    const shown = (await readJson(reopened)).incident_updates.map(
      (u: { status: string; display_at: string }) => `${u.status} ${u.display_at}`,
    );
    expect(shown).toEqual([
      'verifying 2026-03-03T04:30:00.000Z',
      'completed 2026-03-03T04:00:00.000Z',
      'in_progress 2026-03-03T02:00:00.000Z',
      'scheduled 2026-03-02T09:00:00.000Z',
    ]);

    // Past its window, it is in ops' hands now: the clock does not complete it again.
    t.clock.set('2026-03-03T06:00:00Z');
    expect(
      (await publicJson('scheduled-maintenances/active.json')).scheduled_maintenances,
    ).toMatchObject([{ id: maintenance.id, status: 'verifying', resolved_at: null }]);
    expect(await publicStatuses()).toMatchObject({ Dashboard: 'under_maintenance' });
    expect(await banners('dashboard-only')).toMatchObject([
      { severity: 'maintenance', body_html: '<p>Still checking the replica.</p>' },
    ]);

    expect((await update('completed', 'Done.')).status).toBe(200);
    expect(
      (await publicJson('scheduled-maintenances.json')).scheduled_maintenances[0],
    ).toMatchObject({ status: 'completed', resolved_at: '2026-03-03T06:00:00.000Z' });
    expect(await banners('dashboard-only')).toEqual([]);
    expect(await publicStatuses()).toMatchObject({ Dashboard: 'operational' });
    await expectProblem(await update('completed', 'Done twice?'), 409, 'conflict');
    await expectProblem(await update('scheduled', 'Back to the plan?'), 409, 'conflict');
  });

  it('shows each component at the same status in the ops API as in the public API, through a maintenance', async () => {
    expect((await scheduleMaintenance([dashboard.id])).status).toBe(201);
    const moments = [
      ['2026-03-02T12:00:00Z', 'operational'],
      ['2026-03-03T02:30:00Z', 'under_maintenance'],
      ['2026-03-03T04:00:00Z', 'operational'],
    ] as const;
    for (const [at, shown] of moments) {
      t.clock.set(at);
      const ops = await opsStatuses();
      expect(ops).toEqual(await publicStatuses());
      expect(ops).toEqual({ Core: shown, API: 'operational', Dashboard: shown });
    }

    t.clock.set('2026-03-03T03:00:00Z');
    const edited = await t.request(`/v1/status/components/${dashboard.id}`, {
      method: 'PATCH',
      json: { description: 'The web app' },
    });
    expect(await readJson(edited)).toMatchObject({ status: 'under_maintenance' });
  });

  it('an incident naming a group sets each of its components, except one named with its own status', async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Core is down',
        impact: 'critical',
        body: 'Everything in Core fails.',
        components: [
          { id: dashboard.id, status: 'degraded_performance' },
          { id: core.id, status: 'major_outage' },
        ],
      },
    });
    expect(opened.status).toBe(201);
    const incident = await readJson(opened);
    const affected = incident.incident_updates[0].affected_components;
    expect(
      byName(
        affected.map((a: { name: string; new_status: string }) => ({
          name: a.name,
          status: a.new_status,
        })),
      ),
    ).toEqual({
      API: 'major_outage',
      Dashboard: 'degraded_performance',
    });
    expect(incident.components.map((c: { name: string }) => c.name).sort()).toEqual([
      'API',
      'Dashboard',
    ]);
    const during = { Core: 'major_outage', API: 'major_outage', Dashboard: 'degraded_performance' };
    expect(await publicStatuses()).toEqual(during);
    expect(await opsStatuses()).toEqual(during);
    expect(await banners('uses-api')).toHaveLength(1);
    expect(await banners('dashboard-only')).toHaveLength(1);

    await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: { status: 'resolved', body: 'Fixed.' },
    });
    const after = { Core: 'operational', API: 'operational', Dashboard: 'operational' };
    expect(await publicStatuses()).toEqual(after);
  });

  it('a maintenance naming a group puts each of its components under maintenance', async () => {
    const scheduled = await readJson(await scheduleMaintenance([core.id]));
    expect(scheduled.components.map((c: { name: string }) => c.name).sort()).toEqual([
      'API',
      'Dashboard',
    ]);
    t.clock.set('2026-03-03T02:30:00Z');
    const during = {
      Core: 'under_maintenance',
      API: 'under_maintenance',
      Dashboard: 'under_maintenance',
    };
    expect(await publicStatuses()).toEqual(during);
    expect(await opsStatuses()).toEqual(during);
  });

  it('refuses an unknown component or an empty group alike in incidents and maintenance, and changes nothing', async () => {
    const empty = await readJson(
      await t.request('/v1/status/components', {
        method: 'POST',
        json: { name: 'Empty', group: true },
      }),
    );
    const unknown = '0192f0c4-0000-7000-8000-000000000000';
    for (const id of [unknown, empty.id]) {
      const incident = await expectProblem(
        await t.request('/v1/status/incidents', {
          method: 'POST',
          json: { name: 'x', body: 'y', components: [{ id, status: 'major_outage' }] },
        }),
        400,
        'validation_failed',
      );
      const maintenance = await expectProblem(
        await scheduleMaintenance([id]),
        400,
        'validation_failed',
      );
      expect(maintenance.errors).toEqual(incident.errors);
      expect(incident.errors).toMatchObject([{ path: 'components' }]);
    }
    expect((await publicJson('incidents.json')).incidents).toEqual([]);
    expect((await publicJson('scheduled-maintenances.json')).scheduled_maintenances).toEqual([]);
    expect((await readJson(await t.request('/v1/campaigns'))).data).toEqual([]);
  });

  it('refuses an incident, maintenance or component name with a line break (a banner title and an email subject), and changes nothing', async () => {
    const name = 'Login errors\r\nBcc: attacker@evil.example';
    const refused = [
      await t.request('/v1/status/incidents', { method: 'POST', json: { name, body: 'y' } }),
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name,
          body: 'y',
          scheduled_for: '2026-03-05T02:00:00Z',
          scheduled_until: '2026-03-05T04:00:00Z',
        },
      }),
      await t.request('/v1/status/components', { method: 'POST', json: { name } }),
      await t.request(`/v1/status/components/${api.id}`, { method: 'PATCH', json: { name } }),
    ];
    for (const response of refused) {
      const problem = await expectProblem(response, 400, 'validation_failed');
      expect(problem.errors).toMatchObject([
        { path: 'name', message: 'must be one line, without control characters' },
      ]);
    }
    expect((await publicJson('incidents.json')).incidents).toEqual([]);
    expect((await publicJson('scheduled-maintenances.json')).scheduled_maintenances).toEqual([]);
    expect(
      (await publicJson('components.json')).components.map((c: { name: string }) => c.name),
    ).toEqual(['Core', 'API', 'Dashboard']);
    expect((await readJson(await t.request('/v1/campaigns'))).data).toEqual([]);
  });

  it('lists an incident left unresolved and a maintenance still to come behind 50 newer ones, as Statuspage does', async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Forgotten outage',
        impact: 'major',
        body: 'Still looking.',
        notify_accounts: false,
      },
    });
    expect(opened.status).toBe(201);
    const forgotten = (await readJson(opened)).id;
    const scheduled = await t.request('/v1/status/maintenances', {
      method: 'POST',
      json: {
        name: 'Data centre move',
        body: 'Planned long ago.',
        scheduled_for: '2026-06-01T02:00:00Z',
        scheduled_until: '2026-06-01T04:00:00Z',
        notify_accounts: false,
      },
    });
    expect(scheduled.status).toBe(201);
    const planned = (await readJson(scheduled)).id;
    // 50 newer incidents, all resolved, and 50 newer maintenances, all over.
    await t.deps.db.execute(sql`
      insert into incidents (id, kind, name, status, impact, scheduled_for, scheduled_until,
        created_at, updated_at, resolved_at)
      select gen_random_uuid(), kind, kind || ' ' || n,
        case kind when 'incident' then 'resolved' else 'completed' end,
        case kind when 'incident' then 'minor' else 'maintenance' end,
        case kind when 'maintenance' then timestamptz '2026-03-01T02:00:00Z' end,
        case kind when 'maintenance' then timestamptz '2026-03-01T04:00:00Z' end,
        timestamptz '2026-03-02T09:00:00Z' + n * interval '1 second',
        timestamptz '2026-03-02T09:00:00Z' + n * interval '1 second',
        timestamptz '2026-03-02T09:00:00Z' + n * interval '1 second'
      from generate_series(1, 50) n, (values ('incident'), ('maintenance')) k(kind)`);

    const ids = (list: { id: string }[]) => list.map((item) => item.id);
    expect(ids((await publicJson('incidents/unresolved.json')).incidents)).toEqual([forgotten]);
    const summary = await publicJson('summary.json');
    expect(ids(summary.incidents)).toEqual([forgotten]);
    expect(summary.status.indicator).toBe('major');
    expect((await publicJson('status.json')).status.indicator).toBe('major');
    const recent = ids((await publicJson('incidents.json')).incidents);
    expect(recent).toHaveLength(51);
    expect(recent.at(-1)).toBe(forgotten);
    expect(
      ids((await publicJson('scheduled-maintenances/upcoming.json')).scheduled_maintenances),
    ).toEqual([planned]);
    expect(ids(summary.scheduled_maintenances)).toEqual([planned]);
  });

  it('pages through every incident and every maintenance, newest first, each once, in the shape of the public API', async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Slow API',
        impact: 'minor',
        body: 'Looking.',
        components: [{ id: api.id, status: 'degraded_performance' }],
        notify_accounts: false,
      },
    });
    expect(opened.status).toBe(201);
    const first = await readJson(opened);
    // 70 older ones of each kind, two to a second: ties the order must break the same way.
    await t.deps.db.execute(sql`
      insert into incidents (id, kind, name, status, impact, scheduled_for, scheduled_until,
        created_at, updated_at, resolved_at)
      select gen_random_uuid(), kind, kind || ' ' || n,
        case kind when 'incident' then 'resolved' else 'completed' end,
        case kind when 'incident' then 'minor' else 'maintenance' end,
        case kind when 'maintenance' then timestamptz '2026-02-01T02:00:00Z' end,
        case kind when 'maintenance' then timestamptz '2026-02-01T04:00:00Z' end,
        timestamptz '2026-03-01T09:00:00Z' - (n / 2) * interval '1 second',
        timestamptz '2026-03-01T09:00:00Z', timestamptz '2026-03-01T09:00:00Z'
      from generate_series(1, 70) n, (values ('incident'), ('maintenance')) k(kind)`);

    for (const kind of ['incident', 'maintenance'] as const) {
      const path = kind === 'incident' ? '/v1/status/incidents' : '/v1/status/maintenances';
      const stored = rowsOf<{ id: string }>(
        await t.deps.db.execute(sql`
          select id from incidents where kind = ${kind} order by created_at desc, id asc`),
      ).map((row) => row.id);
      const seen: { id: string }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const response = await t.request(`${path}?limit=20${query}`);
        expect(response.status).toBe(200);
        const page = await readJson(response);
        expect(page.data.length).toBeLessThanOrEqual(20);
        seen.push(...page.data);
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(seen.map((item) => item.id)).toEqual(stored);
      expect(pages).toBe(Math.ceil(stored.length / 20));
      if (kind === 'incident') {
        // The oldest, far behind the 50 the public page holds, reads by id as the list shows it.
        const oldest = seen.at(-1);
        expect(await readJson(await t.request(`${path}/${oldest?.id}`))).toEqual(oldest);
      }
    }
    // The first page (50 by default) holds the incident as GET /v1/status/incidents/{id} does.
    const page = await readJson(await t.request('/v1/status/incidents'));
    expect(page.data).toHaveLength(50);
    expect(page.data[0]).toEqual(
      await readJson(await t.request(`/v1/status/incidents/${first.id}`)),
    );
    expect(page.data[0].components.map((c: { name: string }) => c.name)).toEqual(['API']);
    const tooMany = await expectProblem(
      await t.request('/v1/status/incidents?limit=201'),
      400,
      'validation_failed',
    );
    expect(tooMany.errors).toEqual([expect.objectContaining({ path: 'limit' })]);
  });

  it('answers 304 to the public ETag and lets any origin read it, cached briefly', async () => {
    const first = await t.request('/api/v2/summary.json', { key: null });
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    const etag = first.headers.get('etag') ?? '';
    const again = await t.request('/api/v2/summary.json', {
      key: null,
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const weak = await t.request('/api/v2/summary.json', {
      key: null,
      headers: { 'if-none-match': `W/${etag}` },
    });
    expect(weak.status).toBe(304);
    await t.request(`/v1/status/components/${api.id}`, {
      method: 'PATCH',
      json: { status: 'degraded_performance' },
    });
    const changed = await t.request('/api/v2/summary.json', {
      key: null,
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
  });

  it('renders an HTML status page and an Atom feed of incidents', async () => {
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Login <failures>', body: 'Looking into it.', notify_accounts: false },
    });
    const page = await t.request('/status', { key: null });
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const markup = await page.text();
    expect(markup).toContain('Login &lt;failures&gt;');
    expect(markup).toContain('Minor Service Outage');
    expect(markup).toMatch(/<li class="member"><div class="component-line"><span>API<\/span>/);
    const feed = await t.request('/status/history.atom', { key: null });
    expect(feed.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const xml = await feed.text();
    expect(xml).toContain('<title>Login &lt;failures&gt;</title>');
    expect(xml.match(/<entry>/g)).toHaveLength(1);
    const rss = await t.request('/status/history.rss', { key: null });
    expect(rss.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const items = await rss.text();
    expect(items).toContain('<title>Login &lt;failures&gt;</title>');
    expect(items.match(/<item>/g)).toHaveLength(1);
  });

  it('serves its pages under a content security policy that still lets sites frame them', async () => {
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: { name: 'Slow exports', body: 'Looking into it.', notify_accounts: false },
      }),
    );
    for (const path of ['/status', `/status/incidents/${incident.id}`, '/status/incidents/x']) {
      const page = await t.request(path, { key: null });
      const policy = page.headers.get('content-security-policy') ?? '';
      expect(policy.split('; '), path).toEqual(
        expect.arrayContaining(["default-src 'self'", "script-src 'self'", "img-src 'self'"]),
      );
      expect(policy.split('; '), path).toContain('frame-ancestors *');
      expect(await page.text(), path).not.toMatch(/<script(?![^>]*\bsrc="\/)/);
    }
  });

  it('answers a component name taken already as one taken by a racing request: a 409 naming the field', async () => {
    const components = async () =>
      (await readJson(await t.request('/v1/status/components'))).data.map(
        (c: { name: string }) => c.name,
      );
    const create = (name: string) =>
      t.request('/v1/status/components', { method: 'POST', json: { name } });
    const rename = (name: string) =>
      t.request(`/v1/status/components/${dashboard.id}`, { method: 'PATCH', json: { name } });
    const expectNameTaken = async (response: Response, name: string) => {
      const problem = await expectProblem(response, 409, 'conflict');
      expect(problem.errors).toEqual([
        { location: 'body', path: 'name', message: `a component is already named ${name}` },
      ]);
      return problem;
    };
    const taken = await expectNameTaken(await create('API'), 'API');
    await expectNameTaken(await rename('API'), 'API');

    const undo = await raceForComponentName(t.deps.db, 'Billing');
    try {
      const raced = await expectNameTaken(await create('Billing'), 'Billing');
      expect(raced.detail).toBe(taken.detail.replace('API', 'Billing'));
      await expectNameTaken(await rename('Billing'), 'Billing');
    } finally {
      await undo();
    }
    expect(await components()).toEqual(['Core', 'API', 'Dashboard']);

    // Requests racing for a name for real: one makes it, each other is told as above.
    const answers = await Promise.all(Array.from({ length: 6 }, () => create('Search')));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    for (const answer of answers.filter((answer) => answer.status !== 201)) {
      await expectNameTaken(answer, 'Search');
    }
  });

  it.each([
    [
      'a group inside a group',
      '/v1/status/components',
      () => ({ name: 'Nested', group: true, group_id: 'GROUP' }),
      'group_id',
    ],
    [
      'an unknown component',
      '/v1/status/incidents',
      () => ({
        name: 'x',
        body: 'y',
        components: [{ id: '0192f0c4-0000-7000-8000-000000000000', status: 'major_outage' }],
      }),
      'components',
    ],
    [
      'a maintenance that ends before it starts',
      '/v1/status/maintenances',
      () => ({
        name: 'x',
        body: 'y',
        scheduled_for: '2026-03-04T00:00:00Z',
        scheduled_until: '2026-03-03T00:00:00Z',
      }),
      'scheduled_until',
    ],
    [
      'an unknown component status',
      '/v1/status/incidents',
      () => ({ name: 'x', body: 'y', components: [{ id: api.id, status: 'on_fire' }] }),
      'components.0.status',
    ],
  ])('rejects %s with 400 and changes nothing', async (_, path, body, field) => {
    const groups = await readJson(await t.request('/v1/status/components'));
    const groupId = groups.data.find((c: { group: boolean }) => c.group).id;
    const json = JSON.parse(JSON.stringify(body()).replace('GROUP', groupId));
    const problem = await expectProblem(
      await t.request(path, { method: 'POST', json }),
      400,
      'validation_failed',
    );
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect((await publicJson('incidents.json')).incidents).toEqual([]);
    expect((await readJson(await t.request('/v1/status/components'))).data).toHaveLength(3);
    expect((await readJson(await t.request('/v1/campaigns'))).data).toEqual([]);
  });
});
