import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * The version of an event, campaign or incident (its ETag) is moved by the database, so a writer that
 * says nothing of it (a statement written by hand here, as a future writer might) still moves
 * it when it changes what the API shows, and cannot set it to anything else.
 */
describe('versions kept by the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const versionOf = async (table: 'events' | 'campaigns' | 'incidents', id: string) =>
    rowsOf<{ version: number }>(
      await t.deps.db.execute(sql`select version from ${sql.identifier(table)} where id = ${id}`),
    )[0]?.version;
  const etagOf = async (path: string) => (await t.request(path)).headers.get('etag');

  const createEvent = async () =>
    readJson(
      await t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'maintenance',
          title: 'Sunday maintenance',
          starts_at: '2026-03-08T02:00:00Z',
          ends_at: '2026-03-08T04:00:00Z',
        },
      }),
    );

  it('moves an event’s version on any change the API shows, and on nothing else', async () => {
    const event = await createEvent();
    const path = `/v1/events/${event.id}`;
    const first = await etagOf(path);

    await t.deps.db.execute(
      sql`update events set title = 'Renamed by hand' where id = ${event.id}`,
    );
    expect(await versionOf('events', event.id)).toBe(event.version + 1);
    expect(await etagOf(path)).not.toBe(first);

    // The import key GET does not show, and a statement that changes nothing: same ETag.
    const second = await etagOf(path);
    await t.deps.db.execute(sql`update events set origin_id = 'key-1' where id = ${event.id}`);
    await t.deps.db.execute(sql`update events set title = title where id = ${event.id}`);
    expect(await etagOf(path)).toBe(second);

    // A version written by hand is not kept: only the database counts.
    await t.deps.db.execute(sql`update events set version = 99 where id = ${event.id}`);
    expect(await versionOf('events', event.id)).toBe(event.version + 1);
    await t.deps.db.execute(
      sql`update events set version = 99, lead_days = 2 where id = ${event.id}`,
    );
    expect(await versionOf('events', event.id)).toBe(event.version + 2);
  });

  it('moves a campaign’s version when the foreign key unlinks it from a deleted event', async () => {
    const event = await createEvent();
    const created = await t.request('/v1/campaigns', {
      method: 'POST',
      json: {
        channels: ['banner'],
        title: 'Maintenance on Sunday',
        body: 'Read-only from 02:00 to 04:00 UTC.',
        severity: 'maintenance',
        audience: { type: 'all' },
        event_id: event.id,
      },
    });
    expect(created.status).toBe(201);
    const campaign = await readJson(created);

    // Not through the API (which unlinks and audits by itself): ON DELETE SET NULL alone.
    await t.deps.db.execute(sql`delete from events where id = ${event.id}`);
    const read = await t.request(`/v1/campaigns/${campaign.id}`);
    expect((await readJson(read)).event_id).toBeNull();
    expect(read.headers.get('etag')).not.toBe(created.headers.get('etag'));
    expect(await versionOf('campaigns', campaign.id)).toBe(campaign.version + 1);

    await t.deps.db.execute(sql`update campaigns set version = 7 where id = ${campaign.id}`);
    expect(await versionOf('campaigns', campaign.id)).toBe(campaign.version + 1);
  });

  it('moves an incident’s version on a change the API shows and on each update posted, not on its banner link', async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Errors', impact: 'minor', body: 'Looking.', components: [] },
    });
    expect(opened.status).toBe(201);
    const { id } = await readJson(opened);
    const path = `/v1/status/incidents/${id}`;
    const first = await versionOf('incidents', id);
    expect((await t.request(path)).headers.get('etag')).toBe(`"${first}"`);

    await t.deps.db.execute(sql`update incidents set name = 'Renamed by hand' where id = ${id}`);
    expect(await versionOf('incidents', id)).toBe((first ?? 0) + 1);
    // An update posted by hand, the incident's row left as it was.
    await t.deps.db.execute(
      sql`insert into incident_updates (id, incident_id, status, body, affected_components)
        values (gen_random_uuid(), ${id}, 'investigating', 'By hand.', '[]')`,
    );
    expect(await versionOf('incidents', id)).toBe((first ?? 0) + 2);

    // Its banner's link (not shown), a statement that changes nothing, a version set by hand.
    await t.deps.db.execute(sql`update incidents set campaign_id = null where id = ${id}`);
    await t.deps.db.execute(sql`update incidents set name = name where id = ${id}`);
    await t.deps.db.execute(sql`update incidents set version = 99 where id = ${id}`);
    expect(await versionOf('incidents', id)).toBe((first ?? 0) + 2);
    expect((await t.request(path)).headers.get('etag')).toBe(`"${(first ?? 0) + 2}"`);
  });
});
