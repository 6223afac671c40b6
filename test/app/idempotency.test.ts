import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { idempotencyKeys } from '../../src/db/schema';
import { pruneIdempotencyKeys } from '../../src/http/idempotency';
import { expectProblem } from '../helpers/problem';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

const campaign = {
  channels: ['banner'],
  title: 'Price change on 1 April',
  audience: { type: 'all' },
};

describe('Idempotency-Key', () => {
  let t: TestApp;
  let opsKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops');
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, status_components, events, idempotency_keys cascade`,
    );
  });

  const create = (key: string, json: unknown, apiKey = opsKey) =>
    t.request('/v1/campaigns', {
      method: 'POST',
      json,
      key: apiKey,
      headers: { 'idempotency-key': key },
    });
  const campaigns = async () =>
    rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from campaigns`))[0]
      ?.n;

  it('replays the first answer to a retry instead of creating twice', async () => {
    const first = await create('launch-1', campaign);
    expect(first.status).toBe(201);
    const retry = await create('launch-1', campaign);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await readJson(retry)).toEqual(await readJson(first));
    expect(await campaigns()).toBe(1);
  });

  it('refuses the same key for a different request, and changes nothing', async () => {
    await create('launch-2', campaign);
    await expectProblem(
      await create('launch-2', { ...campaign, title: 'Something else' }),
      422,
      'idempotency_key_reused',
    );
    expect(await campaigns()).toBe(1);
  });

  it('keeps keys apart per API key', async () => {
    const otherOps = await t.keyFor('ops', 'second ops');
    expect((await create('shared', campaign)).status).toBe(201);
    const other = await create('shared', campaign, otherOps);
    expect(other.status).toBe(201);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(await campaigns()).toBe(2);
  });

  it('replays a validation failure too', async () => {
    const bad = { ...campaign, holdout_percent: 80 };
    await expectProblem(await create('bad-1', bad), 400, 'validation_failed');
    const again = await create('bad-1', bad);
    expect(again.status).toBe(400);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const [principal] = rowsOf<{ id: string }>(
      await t.deps.db.execute(sql`select id from api_keys where name = 'test ops'`),
    );
    const body = JSON.stringify(campaign);
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const { bytesToHex } = await import('@noble/hashes/utils.js');
    await t.deps.db.insert(idempotencyKeys).values({
      apiKeyId: principal?.id ?? '',
      key: 'running',
      createdAt: t.clock.now(),
      requestHash: bytesToHex(sha256(new TextEncoder().encode(`POST /v1/campaigns\n${body}`))),
    });
    await expectProblem(await create('running', campaign), 409, 'idempotency_key_in_use');
    expect(await campaigns()).toBe(0);

    // A first attempt that never answered (its process died) gives way after five minutes.
    t.clock.advance(6 * 60_000);
    expect((await create('running', campaign)).status).toBe(201);
    expect(await campaigns()).toBe(1);
  });

  it('runs a retry whose key the first request freed just after the retry tried to claim it', async () => {
    await create('vanishing', campaign);
    await t.deps.db.execute(sql`update idempotency_keys set status = null, body = null`);
    await t.deps.db.execute(sql`delete from campaigns`);
    // The retry's claim meets the first request's row; a trigger then deletes it, once, as a
    // first request that answered 500 does, before the retry reads the row.
    await t.deps.db.execute(sql`create table free_claim_once (pending boolean)`);
    await t.deps.db.execute(sql`insert into free_claim_once values (true)`);
    await t.deps.db.execute(sql`
      create function free_claim() returns trigger language plpgsql as $$
      begin
        if exists (select from free_claim_once) then
          delete from free_claim_once;
          delete from idempotency_keys where key = 'vanishing' and status is null;
        end if;
        return null;
      end $$`);
    await t.deps.db.execute(sql`
      create trigger free_claim after insert on idempotency_keys
      for each statement execute function free_claim()`);
    try {
      const retry = await create('vanishing', campaign);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      // The retry claimed the key again: its answer is what the next retry gets.
      const next = await create('vanishing', campaign);
      expect(next.headers.get('idempotent-replayed')).toBe('true');
      expect(await readJson(next)).toEqual(await readJson(retry));
      expect(await campaigns()).toBe(1);
    } finally {
      await t.deps.db.execute(sql`drop trigger free_claim on idempotency_keys`);
      await t.deps.db.execute(sql`drop function free_claim()`);
      await t.deps.db.execute(sql`drop table free_claim_once`);
    }
  });

  it('does not do the work again when the first request committed it and stopped before storing its answer', async () => {
    // The answer's write fails, as if the process had stopped between the commit and it.
    await t.deps.db.execute(sql`
      create function lose_answer() returns trigger language plpgsql as $$
      begin
        if new.status is not null then raise exception 'the process stopped'; end if;
        return new;
      end $$`);
    await t.deps.db.execute(sql`
      create trigger lose_answer before update on idempotency_keys
      for each row execute function lose_answer()`);
    const component = (key: string) =>
      t.request('/v1/status/components', {
        method: 'POST',
        json: { name: 'Billing API' },
        key: opsKey,
        headers: { 'idempotency-key': key },
      });
    const components = async () =>
      rowsOf<{ n: number }>(
        await t.deps.db.execute(sql`select count(*)::int as n from status_components`),
      )[0]?.n;
    const event = (key: string) =>
      t.request('/v1/events', {
        method: 'POST',
        json: {
          kind: 'billing_run',
          title: 'Billing run',
          starts_at: '2026-05-01T00:00:00Z',
          ends_at: '2026-05-02T00:00:00Z',
        },
        key: opsKey,
        headers: { 'idempotency-key': key },
      });
    const events = async () =>
      rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from events`))[0]
        ?.n;
    try {
      expect((await create('stopped', campaign)).status).toBe(500);
      expect((await component('stopped-too')).status).toBe(500);
      expect((await event('stopped-event')).status).toBe(500);
    } finally {
      await t.deps.db.execute(sql`drop trigger lose_answer on idempotency_keys`);
      await t.deps.db.execute(sql`drop function lose_answer()`);
    }
    expect(await campaigns()).toBe(1);
    expect(await components()).toBe(1);
    expect(await events()).toBe(1);
    await expectProblem(await create('stopped', campaign), 409, 'idempotency_key_in_use');
    t.clock.advance(6 * 60_000);
    const lost = await expectProblem(
      await create('stopped', campaign),
      409,
      'idempotency_answer_lost',
    );
    expect(lost.detail).toContain('was carried out');
    await expectProblem(await component('stopped-too'), 409, 'idempotency_answer_lost');
    await expectProblem(await event('stopped-event'), 409, 'idempotency_answer_lost');
    expect(await campaigns()).toBe(1);
    expect(await components()).toBe(1);
    expect(await events()).toBe(1);
  });

  it('tells a retry that a request which failed after its work committed was carried out', async () => {
    // At the commit of a component's insert, a table the route reads back from is taken away:
    // the component is stored and the answer is a 500.
    await t.deps.db.execute(sql`
      create function take_table_away() returns trigger language plpgsql as $$
      begin
        alter table incident_components rename to incident_components_away;
        return null;
      end $$`);
    await t.deps.db.execute(sql`
      create constraint trigger take_table_away after insert on status_components
      deferrable initially deferred for each row execute function take_table_away()`);
    const component = () =>
      t.request('/v1/status/components', {
        method: 'POST',
        json: { name: 'Billing API' },
        key: opsKey,
        headers: { 'idempotency-key': 'after-commit' },
      });
    let failed: Response;
    try {
      failed = await component();
      expect(failed.status).toBe(500);
    } finally {
      await t.deps.db.execute(sql`drop trigger take_table_away on status_components`);
      await t.deps.db.execute(sql`drop function take_table_away()`);
      await t.deps.db.execute(
        sql`alter table incident_components_away rename to incident_components`,
      );
    }
    const retry = await component();
    expect(retry.status).toBe(409);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    // The problem names the first request, the one to look up.
    expect(await readJson(retry)).toMatchObject({
      code: 'idempotency_answer_lost',
      instance: failed.headers.get('x-request-id'),
      detail: expect.stringContaining('was carried out'),
    });
    const [stored] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from status_components`),
    );
    expect(stored?.n).toBe(1);
  });

  it('rejects a malformed key', async () => {
    const body = await expectProblem(
      await create('x'.repeat(256), campaign),
      400,
      'validation_failed',
    );
    expect(body.errors[0].path).toBe('Idempotency-Key');
    expect(await campaigns()).toBe(0);
  });

  it('forgets answers after 24 hours', async () => {
    await create('old', campaign);
    await pruneIdempotencyKeys(t.deps.db, new Date(t.clock.now().getTime() + 25 * 3_600_000));
    const fresh = await create('old', campaign);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    expect(await campaigns()).toBe(2);
  });
});

describe('Idempotency-Key past the request deadline', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REQUEST_TIMEOUT_MS: '200' } });
    // Each new campaign takes longer than the deadline to write (inside its transaction), so
    // the caller gets a 503 while the work goes on and commits.
    const follow = t.deps.afterCampaignChange;
    t.deps.afterCampaignChange = async (deps, tx, row, before) => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await follow(deps, tx, row, before);
    };
  });
  afterAll(() => t.close());

  const count = async (table: 'campaigns' | 'stored') => {
    const query =
      table === 'campaigns'
        ? sql`select count(*)::int as n from campaigns`
        : sql`select count(*)::int as n from idempotency_keys where status is not null`;
    return rowsOf<{ n: number }>(await t.deps.db.execute(query))[0]?.n;
  };

  it('replays what the first request did after it outlived its 503, instead of doing it again', async () => {
    const create = () =>
      t.request('/v1/campaigns', {
        method: 'POST',
        json: campaign,
        headers: { 'idempotency-key': 'slow-launch' },
      });
    await expectProblem(await create(), 503, 'unavailable');
    // The retry the 503 invites comes once the first attempt has finished and stored its answer.
    for (let tries = 0; (await count('stored')) === 0 && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await count('campaigns')).toBe(1);
    const retry = await create();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await count('campaigns')).toBe(1);
  });
});
