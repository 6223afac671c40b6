import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_COMPONENTS } from '../../../src/modules/status/components.service';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// Characters XML 1.0 allows (its `Char` production); anything else makes the whole feed unreadable.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

describe('status: odd input and the incident and maintenance lifecycles', () => {
  let t: TestApp;
  let api: { id: string };
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate incidents, status_components, campaigns cascade`);
    t.clock.set('2026-03-02T09:00:00Z');
    api = await readJson(
      await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } }),
    );
  });

  it('refuses a component beyond the most a page holds with 409, and saves nothing', async () => {
    // The page holds `api` already; the rest are stored at once, as a page built over years.
    await t.deps.db.execute(sql`
      insert into status_components (id, name, position, created_at, updated_at)
      select gen_random_uuid(), 'Component ' || n, n, now(), now()
      from generate_series(1, ${MAX_COMPONENTS - 2}) as n`);
    const add = (name: string) =>
      t.request('/v1/status/components', { method: 'POST', json: { name } });
    expect((await add('The last one')).status).toBe(201);
    const refused = await add('One too many');
    expect(refused.status).toBe(409);
    expect((await readJson(refused)).detail).toContain(`holds ${MAX_COMPONENTS} components`);
    const listed = await readJson(await t.request('/v1/status/components'));
    expect(listed.data).toHaveLength(MAX_COMPONENTS);
    expect(listed.data.map((c: { name: string }) => c.name)).not.toContain('One too many');
  });

  it('keeps the Atom and RSS feeds well-formed XML whatever characters an incident holds', async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Odd \uFFFE name \uFFFF',
        body: 'Body with \uFFFF and \uFFFE, an emoji 🔥 and Ωmega.',
        notify_accounts: false,
      },
    });
    expect(opened.status).toBe(201);
    for (const path of ['/status/history.atom', '/status/history.rss']) {
      const xml = await (await t.request(path, { key: null })).text();
      expect(xml.match(NOT_XML_CHAR)?.[0], path).toBeUndefined();
      expect(xml, path).toContain('an emoji 🔥 and Ωmega');
    }
  });

  const maintenanceUpdate = (id: string, status: string, body: string) =>
    t.request(`/v1/status/maintenances/${id}/updates`, {
      method: 'POST',
      json: { status, body },
    });

  it('keeps the start the clock gave a maintenance when ops post an update before the job records it', async () => {
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Upgrade',
          body: 'Read-only for an hour.',
          scheduled_for: '2026-03-02T10:00:00Z',
          scheduled_until: '2026-03-02T11:00:00Z',
          components: [api.id],
          notify_accounts: false,
        },
      }),
    );
    t.clock.set('2026-03-02T10:20:00Z');
    const verifying = await maintenanceUpdate(maintenance.id, 'verifying', 'Checking.');
    expect(verifying.status).toBe(200);
    const shown = (await readJson(verifying)).incident_updates.map(
      (u: { status: string; display_at: string }) => `${u.status} ${u.display_at}`,
    );
    expect(shown).toEqual([
      'verifying 2026-03-02T10:20:00.000Z',
      'in_progress 2026-03-02T10:00:00.000Z',
      'scheduled 2026-03-02T09:00:00.000Z',
    ]);
    const uptime = await readJson(await t.request('/status/uptime.json', { key: null }));
    const today = uptime.components[0].days.at(-1);
    expect(today.minutes).toMatchObject({ under_maintenance: 20 });
  });

  it('refuses verifying for a maintenance whose window has not begun, naming what it may become, and changes nothing', async () => {
    for (const autoTransition of [true, false]) {
      const maintenance = await readJson(
        await t.request('/v1/status/maintenances', {
          method: 'POST',
          json: {
            name: `Upgrade ${autoTransition}`,
            body: 'Read-only for an hour.',
            scheduled_for: '2026-03-02T10:00:00Z',
            scheduled_until: '2026-03-02T11:00:00Z',
            components: [api.id],
            auto_transition: autoTransition,
            notify_accounts: false,
          },
        }),
      );
      const early = await maintenanceUpdate(maintenance.id, 'verifying', 'Checking.');
      expect(early.status).toBe(400);
      const problem = await readJson(early);
      expect(problem.errors[0].path).toBe('status');
      expect(problem.errors[0].message).toContain('scheduled, in_progress or completed');
      const listed = (
        await readJson(await t.request('/api/v2/scheduled-maintenances/upcoming.json'))
      ).scheduled_maintenances.find((m: { id: string }) => m.id === maintenance.id);
      expect(listed.status).toBe('scheduled');
      expect(listed.incident_updates.map((u: { status: string }) => u.status)).toEqual([
        'scheduled',
      ]);
      const components = (await readJson(await t.request('/api/v2/components.json'))).components;
      expect(components[0].status).toBe('operational');
      // Started early by hand, it may then be verified.
      expect((await maintenanceUpdate(maintenance.id, 'in_progress', 'Starting now.')).status).toBe(
        200,
      );
      expect((await maintenanceUpdate(maintenance.id, 'verifying', 'Checking.')).status).toBe(200);
      await maintenanceUpdate(maintenance.id, 'completed', 'Done.');
    }
  });

  it('lets ops call off a maintenance before its window with completed: it never shows as under way', async () => {
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Upgrade',
          body: 'Read-only for an hour.',
          scheduled_for: '2026-03-02T10:00:00Z',
          scheduled_until: '2026-03-02T11:00:00Z',
          components: [api.id],
          notify_accounts: false,
        },
      }),
    );
    expect((await maintenanceUpdate(maintenance.id, 'completed', 'Called off.')).status).toBe(200);
    t.clock.set('2026-03-02T10:30:00Z');
    const listed = (await readJson(await t.request('/api/v2/scheduled-maintenances.json')))
      .scheduled_maintenances[0];
    expect(listed.status).toBe('completed');
    expect(listed.incident_updates.map((u: { status: string }) => u.status)).toEqual([
      'completed',
      'scheduled',
    ]);
    const components = (await readJson(await t.request('/api/v2/components.json'))).components;
    expect(components[0].status).toBe('operational');
  });

  it('reopens a maintenance called off before it began with in_progress only: verifying is refused with 400 and changes nothing', async () => {
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Upgrade',
          body: 'Read-only for an hour.',
          scheduled_for: '2026-03-02T10:00:00Z',
          scheduled_until: '2026-03-02T11:00:00Z',
          components: [api.id],
          notify_accounts: false,
        },
      }),
    );
    await maintenanceUpdate(maintenance.id, 'completed', 'Called off.');
    const statuses = async () =>
      (
        await readJson(await t.request('/api/v2/scheduled-maintenances.json'))
      ).scheduled_maintenances[0].incident_updates.map((u: { status: string }) => u.status);
    const verifying = await maintenanceUpdate(maintenance.id, 'verifying', 'Checking.');
    expect(verifying.status).toBe(400);
    expect((await readJson(verifying)).errors[0].message).toContain('in_progress reopens it');
    expect(await statuses()).toEqual(['completed', 'scheduled']);

    t.clock.set('2026-03-02T09:30:00Z');
    const started = await maintenanceUpdate(maintenance.id, 'in_progress', 'On after all.');
    expect(started.status).toBe(200);
    expect(await readJson(started)).toMatchObject({ status: 'in_progress', resolved_at: null });
    expect(await statuses()).toEqual(['in_progress', 'completed', 'scheduled']);
    const components = (await readJson(await t.request('/api/v2/components.json'))).components;
    expect(components[0].status).toBe('under_maintenance');
  });

  it('refuses to put a maintenance back to scheduled once its window has started by the clock, and changes nothing', async () => {
    const maintenance = await readJson(
      await t.request('/v1/status/maintenances', {
        method: 'POST',
        json: {
          name: 'Upgrade',
          body: 'Read-only for an hour.',
          scheduled_for: '2026-03-02T10:00:00Z',
          scheduled_until: '2026-03-02T11:00:00Z',
          notify_accounts: false,
        },
      }),
    );
    t.clock.set('2026-03-02T10:20:00Z');
    const back = await maintenanceUpdate(maintenance.id, 'scheduled', 'Postponed.');
    expect(back.status).toBe(400);
    const listed = (await readJson(await t.request('/api/v2/scheduled-maintenances.json')))
      .scheduled_maintenances[0];
    expect(listed.status).toBe('in_progress');
    expect(listed.incident_updates.map((u: { status: string }) => u.status)).toEqual([
      'in_progress',
      'scheduled',
    ]);
  });

  it('resolves an incident with the component statuses the resolving update names, restoring the others', async () => {
    const web = await readJson(
      await t.request('/v1/status/components', { method: 'POST', json: { name: 'Web' } }),
    );
    const incident = await readJson(
      await t.request('/v1/status/incidents', {
        method: 'POST',
        json: {
          name: 'Outage',
          body: 'Down.',
          notify_accounts: false,
          components: [
            { id: api.id, status: 'major_outage' },
            { id: web.id, status: 'major_outage' },
          ],
        },
      }),
    );
    const resolved = await t.request(`/v1/status/incidents/${incident.id}/updates`, {
      method: 'POST',
      json: {
        status: 'resolved',
        body: 'Back, the API still slow while caches warm.',
        components: [{ id: api.id, status: 'degraded_performance' }],
      },
    });
    expect(resolved.status).toBe(200);
    const components = (await readJson(await t.request('/api/v2/components.json', { key: null })))
      .components;
    expect(
      Object.fromEntries(
        components.map((c: { name: string; status: string }) => [c.name, c.status]),
      ),
    ).toEqual({ API: 'degraded_performance', Web: 'operational' });
    expect((await readJson(resolved)).incident_updates[0].affected_components).toEqual([
      { code: api.id, name: 'API', old_status: 'major_outage', new_status: 'degraded_performance' },
      { code: web.id, name: 'Web', old_status: 'major_outage', new_status: 'operational' },
    ]);
  });

  it("lists an incident's components in page order, whatever order they were named in", async () => {
    const web = await readJson(
      await t.request('/v1/status/components', {
        method: 'POST',
        json: { name: 'Web', position: 5 },
      }),
    );
    await t.request(`/v1/status/components/${api.id}`, {
      method: 'PATCH',
      json: { position: 1 },
    });
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Outage',
        body: 'Down.',
        notify_accounts: false,
        components: [
          { id: web.id, status: 'major_outage' },
          { id: api.id, status: 'major_outage' },
        ],
      },
    });
    const names = (incident: { components: { name: string }[] }) =>
      incident.components.map((c) => c.name);
    expect(names(await readJson(opened))).toEqual(['API', 'Web']);
    const listed = (await readJson(await t.request('/api/v2/incidents.json', { key: null })))
      .incidents[0];
    expect(names(listed)).toEqual(['API', 'Web']);
  });
});

describe('status: where a component without a position goes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('puts components created without a position after the existing ones, each its own, however many are created at once', async () => {
    const create = async (json: Record<string, unknown>) => {
      const response = await t.request('/v1/status/components', { method: 'POST', json });
      expect(response.status).toBe(201);
      return (await readJson(response)) as { name: string; position: number };
    };
    expect((await create({ name: 'API' })).position).toBe(0);
    expect((await create({ name: 'Web', position: 5 })).position).toBe(5);
    const names = ['C1', 'C2', 'C3', 'C4', 'C5', 'C6'];
    const created = await Promise.all(names.map((name) => create({ name })));
    const positions = created.map((c) => c.position).sort((a, b) => a - b);
    expect(positions).toEqual([6, 7, 8, 9, 10, 11]);
    // Positions given alike are allowed; the page orders them by name.
    await create({ name: 'Zeta', position: 20 });
    await create({ name: 'Alpha', position: 20 });
    const listed = (await readJson(await t.request('/api/v2/components.json', { key: null })))
      .components as { name: string; position: number }[];
    const byPosition = [...created].sort((a, b) => a.position - b.position).map((c) => c.name);
    expect(listed.map((c) => c.name)).toEqual(['API', 'Web', ...byPosition, 'Alpha', 'Zeta']);
  });
});
