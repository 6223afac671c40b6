import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// The test clock starts at 2026-03-02T09:00:00Z.
const banner = {
  channels: ['banner'],
  title: 'Maintenance on Sunday',
  body: 'The dashboard is read-only from 02:00 to 04:00 UTC.',
  severity: 'maintenance',
  starts_at: '2026-03-08T02:00:00Z',
  ends_at: '2026-03-08T04:00:00Z',
  audience: { type: 'all' },
};

describe('conditional changes of a campaign (ETag, If-Match)', () => {
  let t: TestApp;
  let opsKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops', 'Dana from ops');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate campaigns, idempotency_keys cascade`);
    t.clock.set('2026-03-02T09:00:00Z');
  });

  const create = async (json: unknown = banner) => {
    const response = await t.request('/v1/campaigns', { method: 'POST', json, key: opsKey });
    expect(response.status).toBe(201);
    return { campaign: await readJson(response), etag: response.headers.get('etag') ?? '' };
  };
  const patch = (id: string, json: unknown, headers: Record<string, string> = {}) =>
    t.request(`/v1/campaigns/${id}`, { method: 'PATCH', json, key: opsKey, headers });
  /** The stored row and its audit trail, to compare before and after a refused change. */
  const stored = async (id: string) => ({
    row: rowsOf<Record<string, unknown>>(
      await t.deps.db.execute(sql`select * from campaigns where id = ${id}`),
    )[0],
    audit: rowsOf<Record<string, unknown>>(
      await t.deps.db.execute(sql`select * from campaign_audit where campaign_id = ${id}`),
    ),
  });

  it('answers its creation, its GET and each change with a strong ETag naming its version', async () => {
    const { campaign, etag } = await create();
    expect(etag).toMatch(/^"[^"]+"$/);
    expect((await t.request(`/v1/campaigns/${campaign.id}`)).headers.get('etag')).toBe(etag);

    const changed = await patch(campaign.id, { title: 'Maintenance on Sunday night' });
    expect(changed.status).toBe(200);
    const next = changed.headers.get('etag');
    expect(next).toMatch(/^"[^"]+"$/);
    expect(next).not.toBe(etag);
    expect((await readJson(changed)).version).toBe(campaign.version + 1);
    expect((await t.request(`/v1/campaigns/${campaign.id}`)).headers.get('etag')).toBe(next);
  });

  it('answers a GET whose If-None-Match names its ETag with 304, no body and the ETag; a changed campaign in full', async () => {
    const { campaign, etag } = await create();
    const get = (ifNoneMatch: string) =>
      t.request(`/v1/campaigns/${campaign.id}`, { headers: { 'if-none-match': ifNoneMatch } });
    for (const ifNoneMatch of [etag, `W/${etag}`, `"elsewhere", ${etag}`, '*']) {
      const unchanged = await get(ifNoneMatch);
      expect(unchanged.status, ifNoneMatch).toBe(304);
      expect(unchanged.headers.get('etag')).toBe(etag);
      expect(await unchanged.text()).toBe('');
    }
    expect((await get('"elsewhere"')).status).toBe(200);

    await patch(campaign.id, { title: 'Maintenance on Sunday night' });
    const fresh = await get(etag);
    expect(fresh.status).toBe(200);
    expect((await readJson(fresh)).title).toBe('Maintenance on Sunday night');
  });

  it('gives a campaign the clock moved on a new ETag, so a copy from before is answered in full and a 304 is always right', async () => {
    const { campaign, etag } = await create({ ...banner, publish: true });
    expect(etag).toBe(`"${campaign.version}-scheduled"`);
    const get = (ifNoneMatch: string) =>
      t.request(`/v1/campaigns/${campaign.id}`, { headers: { 'if-none-match': ifNoneMatch } });
    expect((await get(etag)).status).toBe(304);

    // Sunday 03:00: started by the clock alone, at the version a client read it scheduled.
    t.clock.set('2026-03-08T03:00:00Z');
    const started = await get(etag);
    expect(started.status).toBe(200);
    expect((await readJson(started)).status).toBe('active');
    const active = started.headers.get('etag') ?? '';
    expect(active).toBe(`"${campaign.version}-active"`);
    // The copy read since the clock moved it is current: revalidated, not sent again.
    expect((await get(active)).status).toBe(304);

    t.clock.set('2026-03-08T05:00:00Z');
    const ended = await get(active);
    expect(ended.status).toBe(200);
    expect((await readJson(ended)).status).toBe('ended');
    expect((await get(ended.headers.get('etag') ?? '')).status).toBe(304);
  });

  it('changes with the ETag of a GET after the clock moved the campaign on, and refuses the one from before with 412, saying why', async () => {
    const { campaign, etag } = await create({ ...banner, publish: true });
    t.clock.set('2026-03-08T03:00:00Z');
    const before = await stored(campaign.id);
    const problem = await expectProblem(
      await patch(campaign.id, { title: 'Maintenance under way' }, { 'if-match': etag }),
      412,
      'precondition_failed',
    );
    expect(problem.detail).toContain('the clock has moved it from scheduled to active');
    // A bare version, as campaigns' ETags were, names no answer a GET gives any more.
    const bare = await expectProblem(
      await patch(
        campaign.id,
        { title: 'Maintenance under way' },
        { 'if-match': `"${campaign.version}"` },
      ),
      412,
      'precondition_failed',
    );
    expect(bare.detail).toContain(`"${campaign.version}-active"`);
    // A tag of a status the clock never moves a campaign out of is only stale.
    const made = await expectProblem(
      await patch(
        campaign.id,
        { title: 'Maintenance under way' },
        { 'if-match': `"${campaign.version}-draft"` },
      ),
      412,
      'precondition_failed',
    );
    expect(made.detail).not.toContain('clock');
    expect(await stored(campaign.id)).toEqual(before);

    const read = await t.request(`/v1/campaigns/${campaign.id}`);
    const changed = await patch(
      campaign.id,
      { title: 'Maintenance under way' },
      { 'if-match': read.headers.get('etag') ?? '' },
    );
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe(`"${campaign.version + 1}-active"`);
  });

  it('changes with a current If-Match, and refuses a stale or weak one with 412, changing nothing', async () => {
    const { campaign, etag } = await create();
    const first = await patch(campaign.id, { title: 'Ops one' }, { 'if-match': etag });
    expect(first.status).toBe(200);
    const current = first.headers.get('etag') ?? '';

    const before = await stored(campaign.id);
    const problem = await expectProblem(
      await patch(campaign.id, { title: 'Ops two', holdout_percent: 20 }, { 'if-match': etag }),
      412,
      'precondition_failed',
    );
    expect(problem.detail).toContain(campaign.id);
    await expectProblem(
      await patch(campaign.id, { title: 'Ops two' }, { 'if-match': `W/${current}` }),
      412,
      'precondition_failed',
    );
    // A stale validator is refused before the move it asks for is judged (a 409 here).
    await expectProblem(
      await patch(campaign.id, { status: 'ended' }, { 'if-match': etag }),
      412,
      'precondition_failed',
    );
    expect(await stored(campaign.id)).toEqual(before);

    const listed = await patch(
      campaign.id,
      { title: 'Ops two' },
      { 'if-match': `"elsewhere", ${current}` },
    );
    expect(listed.status).toBe(200);
    expect((await readJson(listed)).title).toBe('Ops two');
  });

  it('changes an existing campaign with If-Match: *, and answers 404 for a missing one whatever If-Match says', async () => {
    const { campaign } = await create();
    const changed = await patch(campaign.id, { status: 'scheduled' }, { 'if-match': '*' });
    expect(changed.status).toBe(200);
    expect((await readJson(changed)).status).toBe('scheduled');
    expect(changed.headers.get('etag')).toMatch(/^"[^"]+"$/);
    const missing = '0190a000-0000-7000-8000-000000000000';
    await expectProblem(
      await patch(missing, { title: 'x' }, { 'if-match': '*' }),
      404,
      'not_found',
    );
  });

  it('replays a PATCH retried with its Idempotency-Key, with its ETag, instead of publishing twice', async () => {
    const { campaign, etag } = await create();
    const headers = { 'if-match': etag, 'idempotency-key': 'publish-sunday' };
    const first = await patch(campaign.id, { status: 'scheduled' }, headers);
    expect(first.status).toBe(200);
    const published = await stored(campaign.id);

    // The answer was lost; the script sends the same request again, stale If-Match and all.
    const retry = await patch(campaign.id, { status: 'scheduled' }, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await readJson(retry)).toEqual(await readJson(first));
    expect(await stored(campaign.id)).toEqual(published);

    await expectProblem(
      await patch(campaign.id, { status: 'cancelled' }, headers),
      422,
      'idempotency_key_reused',
    );
    expect(await stored(campaign.id)).toEqual(published);
  });

  it('moves the ETag when a change comes from elsewhere: its linked event deleted', async () => {
    const event = await readJson(
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
    const { campaign, etag } = await create({ ...banner, event_id: event.id });
    expect((await t.request(`/v1/events/${event.id}`, { method: 'DELETE' })).status).toBe(204);
    const read = await t.request(`/v1/campaigns/${campaign.id}`);
    expect((await readJson(read)).event_id).toBeNull();
    expect(read.headers.get('etag')).not.toBe(etag);
    await expectProblem(
      await patch(campaign.id, { title: 'Linked no more' }, { 'if-match': etag }),
      412,
      'precondition_failed',
    );
  });
});
