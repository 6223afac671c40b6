import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// The test clock starts at 2026-03-02T09:00:00Z.
describe('incident and maintenance versions: ETag and If-Match', () => {
  let t: TestApp;
  let opsKey: string;
  let appKey: string;
  let api: { id: string };
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops');
    appKey = await t.keyFor('app');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate incidents, status_components, campaigns, accounts cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    t.deps.notices.catalog.invalidate();
    api = await readJson(
      await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } }),
    );
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'uses-api', components: ['API'] }] },
    });
  });

  const banners = async () =>
    (await readJson(await t.request('/v1/accounts/uses-api/notices', { key: appKey }))).notices;
  const componentStatus = async () =>
    (await readJson(await t.request('/v1/status/components'))).data[0].status;
  const stored = async (id: string) => ({
    incident: rowsOf(await t.deps.db.execute(sql`select * from incidents where id = ${id}`)),
    updates: rowsOf(
      await t.deps.db.execute(sql`select * from incident_updates where incident_id = ${id}`),
    ),
    campaigns: rowsOf(await t.deps.db.execute(sql`select * from campaigns order by id`)),
    dismissals: rowsOf(await t.deps.db.execute(sql`select * from notice_dismissals`)),
  });
  const openIncident = async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      key: opsKey,
      json: {
        name: 'Elevated API errors',
        impact: 'major',
        body: 'Investigating.',
        components: [{ id: api.id, status: 'partial_outage' }],
      },
    });
    expect(opened.status).toBe(201);
    return { ...(await readJson(opened)), etag: opened.headers.get('etag') };
  };
  const post = (kind: 'incidents' | 'maintenances', id: string, json: object, ifMatch?: string) =>
    t.request(`/v1/status/${kind}/${id}/updates`, {
      method: 'POST',
      key: opsKey,
      json,
      ...(ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } }),
    });

  it('refuses a stale If-Match after a colleague resolved the incident with 412: it stays resolved, components, banner and dismissals as they were', async () => {
    const incident = await openIncident();
    const read = await t.request(`/v1/status/incidents/${incident.id}`, { key: opsKey });
    const etag = read.headers.get('etag');
    expect(etag).toMatch(/^"\d+"$/);
    expect(incident.etag).toBe(etag);
    const [banner] = await banners();
    await t.request(`/v1/accounts/uses-api/notices/${banner.id}/dismiss`, {
      method: 'POST',
      key: appKey,
    });

    // A colleague resolves it.
    t.clock.set('2026-03-02T10:00:00Z');
    const resolved = await post('incidents', incident.id, { status: 'resolved', body: 'fixed' });
    expect(resolved.status).toBe(200);
    expect(resolved.headers.get('etag')).not.toBe(etag);
    const before = await stored(incident.id);

    // An update written against what was read before the resolve.
    t.clock.set('2026-03-02T10:05:00Z');
    const stale = await post(
      'incidents',
      incident.id,
      {
        status: 'monitoring',
        body: 'stale',
        components: [{ id: api.id, status: 'degraded_performance' }],
      },
      etag ?? '',
    );
    const problem = await expectProblem(stale, 412, 'precondition_failed');
    expect(problem.detail).toContain('has changed since');
    expect(await stored(incident.id)).toEqual(before);
    expect(
      await readJson(await t.request(`/v1/status/incidents/${incident.id}`, { key: opsKey })),
    ).toMatchObject({ status: 'resolved', resolved_at: '2026-03-02T10:00:00.000Z' });
    expect(await componentStatus()).toBe('operational');
    expect(await banners()).toEqual([]);
  });

  it('takes an update whose If-Match names the version now stored, answers the next ETag, and stays unconditional without one', async () => {
    const incident = await openIncident();
    const identified = await post(
      'incidents',
      incident.id,
      { status: 'identified', body: 'A bad deploy.' },
      incident.etag ?? '',
    );
    expect(identified.status).toBe(200);
    const next = identified.headers.get('etag');
    expect(next).not.toBe(incident.etag);
    const read = await t.request(`/v1/status/incidents/${incident.id}`, { key: opsKey });
    expect(read.headers.get('etag')).toBe(next);

    // A list naming it, or `*`, holds too; a weak copy never does.
    const listed = await post(
      'incidents',
      incident.id,
      { status: 'monitoring', body: 'Rolled back.' },
      `"999", ${next}`,
    );
    expect(listed.status).toBe(200);
    const weak = await post(
      'incidents',
      incident.id,
      { status: 'resolved', body: 'Done.' },
      `W/${listed.headers.get('etag')}`,
    );
    await expectProblem(weak, 412, 'precondition_failed');
    expect(
      (await post('incidents', incident.id, { status: 'resolved', body: 'Done.' }, '*')).status,
    ).toBe(200);
    // Without If-Match, as before: it reopens.
    const reopened = await post('incidents', incident.id, { status: 'identified', body: 'Back.' });
    expect(reopened.status).toBe(200);
    expect(await readJson(reopened)).toMatchObject({ status: 'identified', resolved_at: null });
  });

  it('moves the version with every update, even one that leaves the status and the time as they were', async () => {
    const incident = await openIncident();
    const first = await post('incidents', incident.id, { status: 'identified', body: 'One.' });
    const second = await post('incidents', incident.id, { status: 'identified', body: 'Two.' });
    expect(second.status).toBe(200);
    expect(second.headers.get('etag')).not.toBe(first.headers.get('etag'));
    await expectProblem(
      await post(
        'incidents',
        incident.id,
        { status: 'identified', body: 'Three.' },
        first.headers.get('etag') ?? '',
      ),
      412,
      'precondition_failed',
    );
  });

  it('refuses an If-Match it cannot read with 400, and a stale one on an unknown incident is a 404', async () => {
    const incident = await openIncident();
    const before = await stored(incident.id);
    await expectProblem(
      await post('incidents', incident.id, { status: 'resolved', body: 'x' }, 'version 1'),
      400,
      'validation_failed',
    );
    expect(await stored(incident.id)).toEqual(before);
    await expectProblem(
      await post(
        'incidents',
        '0190a000-0000-7000-8000-000000000000',
        { status: 'resolved', body: 'x' },
        '"1"',
      ),
      404,
      'not_found',
    );
  });

  it('gives one maintenance an ETag naming its version and the status the clock gives it, and refuses a stale If-Match', async () => {
    const scheduled = await t.request('/v1/status/maintenances', {
      method: 'POST',
      key: opsKey,
      json: {
        name: 'Database upgrade',
        body: 'Read-only for a while.',
        scheduled_for: '2026-03-03T02:00:00Z',
        scheduled_until: '2026-03-03T04:00:00Z',
        components: [api.id],
      },
    });
    expect(scheduled.status).toBe(201);
    const maintenance = await readJson(scheduled);
    const path = `/v1/status/maintenances/${maintenance.id}`;
    const read = await t.request(path, { key: opsKey });
    expect(read.status).toBe(200);
    expect(await readJson(read)).toMatchObject({ id: maintenance.id, status: 'scheduled' });
    const etag = read.headers.get('etag');
    expect(etag).toMatch(/^"\d+-scheduled"$/);
    expect(scheduled.headers.get('etag')).toBe(etag);
    // An incident's id is not a maintenance.
    const incident = await openIncident();
    await expectProblem(
      await t.request(`/v1/status/maintenances/${incident.id}`, { key: opsKey }),
      404,
      'not_found',
    );

    // The window starts: the clock moved it on, so what was read is stale.
    t.clock.set('2026-03-03T02:30:00Z');
    const started = await t.request(path, { key: opsKey });
    expect(started.headers.get('etag')).toMatch(/^"\d+-in_progress"$/);
    const before = await stored(maintenance.id);
    await expectProblem(
      await post(
        'maintenances',
        maintenance.id,
        { status: 'completed', body: 'Called off.' },
        etag ?? '',
      ),
      412,
      'precondition_failed',
    );
    expect(await stored(maintenance.id)).toEqual(before);

    const verifying = await post(
      'maintenances',
      maintenance.id,
      { status: 'verifying', body: 'Checking.' },
      started.headers.get('etag') ?? '',
    );
    expect(verifying.status).toBe(200);
    expect(verifying.headers.get('etag')).toMatch(/^"\d+-verifying"$/);
    expect(verifying.headers.get('etag')).toBe(
      (await t.request(path, { key: opsKey })).headers.get('etag'),
    );
  });

  it('leaves the public Statuspage API’s answer ETags apart from incident versions', async () => {
    const incident = await openIncident();
    const publicAnswer = await t.request('/api/v2/incidents.json', { key: null });
    expect(publicAnswer.headers.get('etag')).not.toBe(incident.etag);
    expect(publicAnswer.headers.get('etag')).not.toMatch(/^"\d+"$/);
    const again = await t.request('/api/v2/incidents.json', {
      key: null,
      headers: { 'if-none-match': publicAnswer.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
  });
});
