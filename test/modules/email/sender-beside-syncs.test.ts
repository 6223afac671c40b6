import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDeps } from '../../../src/composition-root';
import { loadConfig } from '../../../src/config';
import type { Database } from '../../../src/db/database';
import { rowsOf } from '../../../src/db/json-param';
import { openPostgres } from '../../../src/db/postgres';
import type { Deps } from '../../../src/deps';
import { createLogger } from '../../../src/logger';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { createCampaign } from '../../helpers/campaigns';
import { signal } from '../../helpers/signal';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database';

const SENDER = 'forestall-sender-under-test';
/** The advisory lock the sync holds in the test that pauses the sender until it commits. */
const SYNC_DONE = 8_101;

/**
 * A sender must not wait for an account sync holding due delivery rows it would tidy away (it
 * could deadlock with it), nor, skipping them, send them. On PGlite, one connection, nothing
 * runs beside the sender: the same polls must still send and tidy alike.
 */
describe('the sender beside a sync holding due deliveries', () => {
  let database: TestDatabase;
  let t: TestApp;
  let sender: Deps;
  let senderDatabase: Database | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    t = await startTestApp({ database });
    if (database.url) {
      // Waiting for a lock at all is the failure: it ends the sender's statement, not the test.
      const url = new URL(database.url);
      url.searchParams.set('lock_timeout', '2000');
      url.searchParams.set('application_name', SENDER);
      senderDatabase = openPostgres(url.toString(), { poolMax: 2 });
      sender = buildDeps(loadConfig({ LOG_LEVEL: 'silent' }), senderDatabase.db, {
        clock: t.clock,
        logger: createLogger('silent'),
      });
    } else {
      sender = t.deps;
    }
  });
  afterAll(async () => {
    await senderDatabase?.close();
    await t.close();
  });

  const publish = async (title: string, endsAt?: string) => {
    await createCampaign(t, {
      channels: ['email'],
      title,
      body: 'Hello',
      ends_at: endsAt,
      email: { template: 'maintenance', send_at: '2026-03-05T12:00:00Z' },
    });
  };
  beforeEach(async () => {
    await t.deps.db.execute(
      sql`truncate campaigns, accounts, email_suppressions, outbox_messages cascade`,
    );
    t.clock.set('2026-03-02T09:00:00Z');
    const accounts = ['a', 'b', 'c'].map((id) => ({ id, contacts: [{ email: `${id}@x.test` }] }));
    expect(
      (await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } })).status,
    ).toBe(200);
    await publish('Open');
    await publish('Over', '2026-03-04T00:00:00Z');
    // Suppressed after its email was planned, so the sender is the one to skip it.
    await t.deps.db.execute(sql`
      insert into email_suppressions (email, reason) values ('b@x.test', 'unsubscribed')`);
    t.clock.set('2026-03-06T00:00:00Z');
  });

  const statuses = async () =>
    rowsOf<{ title: string; email: string; status: string }>(
      await t.deps.db.execute(sql`
        select c.title, d.email, d.status from email_deliveries d
        join campaigns c on c.id = d.campaign_id order by c.title, d.email`),
    ).map((row) => `${row.title} ${row.email} ${row.status}`);
  const outbox = async () =>
    rowsOf<{ title: string; to: string }>(
      await t.deps.db.execute(sql`
        select c.title, o."to" from outbox_messages o
        join campaigns c on c.id = o.campaign_id order by c.title, o."to"`),
    ).map((row) => `${row.title} ${row.to}`);
  const tidied = [
    'Open a@x.test sent',
    'Open b@x.test suppressed',
    'Open c@x.test sent',
    'Over a@x.test cancelled',
    'Over b@x.test suppressed',
    'Over c@x.test cancelled',
  ];

  /**
   * As an account sync re-planning them would: holds the due rows to the suppressed address
   * and of the ended campaign, on a connection of its own, until `letGo` fires; then commits.
   */
  async function holdAsASync(other: Database, alsoHold = sql`select 1`) {
    const locked = signal();
    const letGo = signal();
    const done = other.db.transaction(async (tx) => {
      const held = await tx.execute(sql`
        select d.id from email_deliveries d join campaigns c on c.id = d.campaign_id
        where (c.title = 'Open' and d.email = 'b@x.test')
          or (c.title = 'Over' and d.email = 'a@x.test')
        order by d.id for update of d`);
      expect(rowsOf(held)).toHaveLength(2);
      await tx.execute(alsoHold);
      locked.fire();
      await letGo.fired;
    });
    await Promise.race([locked.fired, done]);
    return { letGo: letGo.fire, done };
  }

  it('neither waits for the held rows nor sends them, and tidies them once they are let go', async () => {
    // Two transactions at once need two connections: the embedded database runs one at a time.
    const other = database.url ? await database.openAnother() : undefined;
    const sync = other ? await holdAsASync(other) : undefined;
    try {
      const first = await sendDueEmails(sender);
      expect(first.sent).toBe(2);
      expect(await outbox()).toEqual(['Open a@x.test', 'Open c@x.test']);
      // Held, they are left queued for a later poll; on PGlite nothing held them.
      const heldOr = (status: string) => (sync ? 'queued' : status);
      expect(await statuses()).toEqual([
        'Open a@x.test sent',
        `Open b@x.test ${heldOr('suppressed')}`,
        'Open c@x.test sent',
        `Over a@x.test ${heldOr('cancelled')}`,
        'Over b@x.test suppressed',
        'Over c@x.test cancelled',
      ]);
    } finally {
      sync?.letGo();
      await sync?.done;
      await other?.close();
    }

    const later = await sendDueEmails(sender);
    expect(later.sent).toBe(0);
    expect(await outbox()).toEqual(['Open a@x.test', 'Open c@x.test']);
    expect(await statuses()).toEqual(tidied);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'does not send a row it skipped tidying when the sync lets go of it just before the claim',
    async () => {
      // Forces the unlucky moment: the sender's last tidy (the one that reads campaigns' end)
      // skips the held rows, then waits, as if slow, until the sync has committed.
      await t.deps.db.execute(
        sql.raw(`
          create function pause_sender_after_tidy() returns trigger language plpgsql
          set lock_timeout = 0 as $$
          begin
            if current_setting('application_name') = '${SENDER}'
               and current_query() like '%cancelled_at%' then
              perform pg_advisory_xact_lock_shared(${SYNC_DONE});
            end if;
            return null;
          end $$`),
      );
      await t.deps.db.execute(sql`
        create trigger pause_sender_after_tidy after update on email_deliveries
        for each statement execute function pause_sender_after_tidy()`);
      const other = await database.openAnother();
      const sync = await holdAsASync(other, sql`select pg_advisory_xact_lock(${SYNC_DONE})`);
      try {
        let settled = false;
        const sending = sendDueEmails(sender).finally(() => {
          settled = true;
        });
        while (!settled && !(await senderPaused())) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        sync.letGo();
        await sync.done;
        const report = await sending;
        expect(report.sent).toBe(2);
        expect(await outbox()).toEqual(['Open a@x.test', 'Open c@x.test']);
        expect(await statuses()).toEqual(tidied);
      } finally {
        sync.letGo();
        await sync.done.catch(() => {});
        await other.close();
        await t.deps.db.execute(sql`drop trigger pause_sender_after_tidy on email_deliveries`);
        await t.deps.db.execute(sql`drop function pause_sender_after_tidy()`);
      }
    },
  );

  const senderPaused = async () =>
    rowsOf(
      await t.deps.db.execute(sql`
        select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.objid = ${SYNC_DONE} and not l.granted
          and a.application_name = ${SENDER}`),
    ).length > 0;
});
