import { sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../db/database';
import { DATABASE_WAIT_MS } from '../../db/database-errors';
import { rowsOf } from '../../db/json-param';
import { settledWithin } from '../../lib/settle-within';
import type { AudienceSubject } from '../campaigns/audience';
import { accountBytes } from './compact-account';

/** The notices API's last answer for an account, valid while the live set is the same. */
export type NoticeAnswer = {
  liveVersion: string;
  locale: string | null;
  etag: string;
  /** The JSON body's length in UTF-8 bytes, known before the body is put together. */
  bodyBytes: number;
  body(): string;
};

/**
 * What the notices hot path needs of an account: its attributes, age and dismissals, and the
 * answer it was last given.
 */
export type NoticeAccount = AudienceSubject & {
  createdAtMs: number;
  dismissed: ReadonlySet<string>;
  answer?: NoticeAnswer;
};

/** How often an instance asks which accounts changed; a change elsewhere shows within this. */
export const ACCOUNT_SYNC_EVERY_MS = 500;
// A request waits for the change feed only when the cache is older than this, so ops' and
// other instances' changes always show within the 2-second promise.
const MAX_LAG_MS = 1_500;
// A feed read that has not answered by then is treated as lost (a Workers request can be
// cancelled mid-read) and the next request starts another.
const POLL_GIVE_UP_MS = 5_000;
// After this long without reading the feed (an idle Workers isolate), the cache is dropped
// rather than caught up: `account_changes` is only kept for an hour.
const RESTART_AFTER_MS = 10 * 60_000;
// How many recent changes a load that is in flight can be checked against.
const RECENT_CHANGES = 32;

type Change = { seq: number; ids: ReadonlySet<string> | 'all' };

/**
 * Accounts as the notices API read them, kept until they change rather than for a fixed time,
 * so accounts that keep asking never cost a query. Every write to `accounts` or
 * `notice_dismissals` is appended to `account_changes` by triggers, with its transaction id.
 * `sync` reads the ids changed since the last read, at most every `ACCOUNT_SYNC_EVERY_MS`,
 * from every transaction at or above the oldest one that was still running at that read
 * (`pg_snapshot_xmin`), so a transaction that commits late is still seen. Bounded by the
 * memory its records take, `maxBytes` (least recently used out; see `accountBytes`).
 */
export function createAccountCache(options: { maxBytes: number }) {
  const entries = new LRUCache<string, NoticeAccount>({
    maxSize: Math.max(Math.floor(options.maxBytes), 1),
    sizeCalculation: accountBytes,
  });
  const roomFor = (account: NoticeAccount) =>
    entries.calculatedSize + accountBytes(account) <= options.maxBytes;
  let since: string | undefined;
  let freshAsOf = Number.NEGATIVE_INFINITY;
  let polling: { started: number; done: Promise<void> } | undefined;
  // Changes seen (by the feed or by writes on this instance), numbered, so a load that was
  // running meanwhile can tell whether what it read may already be out of date.
  let seq = 0;
  const recent: Change[] = [];
  // Since when the database is away (performance.now()): a read of the change feed failed or
  // outlived DATABASE_WAIT_MS; cleared by the next read that succeeds.
  let awaySince: number | undefined;
  let lastPollStarted = Number.NEGATIVE_INFINITY;

  function forget(ids: ReadonlySet<string> | 'all') {
    if (ids === 'all') entries.clear();
    else for (const id of ids) entries.delete(id);
    recent.push({ seq: ++seq, ids });
    if (recent.length > RECENT_CHANGES) recent.shift();
  }

  function changedSince(mark: number, id: string): boolean {
    if (mark === seq) return false;
    const oldest = recent[0];
    if (!oldest || oldest.seq > mark + 1) return true;
    return recent.some((c) => c.seq > mark && (c.ids === 'all' || c.ids.has(id)));
  }

  async function poll(db: Db, started: number): Promise<void> {
    if (since === undefined || started - freshAsOf > RESTART_AFTER_MS) {
      const [row] = rowsOf<{ horizon: string }>(
        await db.execute(sql`select pg_snapshot_xmin(pg_current_snapshot())::text as horizon`),
      );
      forget('all');
      since = row?.horizon;
    } else {
      const [row] = rowsOf<{ horizon: string; changed: (string | null)[] | null }>(
        await db.execute(sql`
          select pg_snapshot_xmin(pg_current_snapshot())::text as horizon,
                 (select json_agg(distinct account_id) from account_changes
                  where xid >= ${since}::xid8) as changed`),
      );
      const changed = row?.changed ?? [];
      if (changed.length > 0) {
        forget(changed.includes(null) ? 'all' : new Set(changed as string[]));
      }
      since = row?.horizon;
    }
    freshAsOf = started;
  }

  return {
    get: (id: string) => entries.get(id),

    /** How many accounts are held, and the bytes they are estimated to take. */
    size: () => ({ accounts: entries.size, bytes: entries.calculatedSize }),

    /**
     * Reads an account through `load` and keeps it, unless the account changed while it was
     * being read (the result may predate that change) or the feed has not been read yet.
     */
    async load(
      id: string,
      load: (id: string) => Promise<NoticeAccount | undefined>,
    ): Promise<NoticeAccount | undefined> {
      const mark = seq;
      const synced = since !== undefined;
      const account = await load(id);
      if (account && synced && !changedSince(mark, id)) entries.set(id, account);
      return account;
    },

    /**
     * Fills the cache in pages from `nextPage` until its budget or the accounts run out, so
     * an instance that starts under load does not send its first requests to the database.
     * Pages arrive in id order; an account that changed while its page was read is skipped.
     */
    async warm(db: Db, nextPage: (afterId: string) => Promise<NoticeAccount[]>): Promise<number> {
      await this.sync(db);
      if (since === undefined) return 0;
      let afterId = '';
      let added = 0;
      for (let room = true; room; ) {
        const mark = seq;
        const page = await nextPage(afterId);
        for (const account of page) {
          room = roomFor(account);
          if (!room) break;
          if (entries.has(account.id) || changedSince(mark, account.id)) continue;
          entries.set(account.id, account);
          added++;
        }
        const last = page.at(-1);
        if (!last) break;
        afterId = last.id;
      }
      return added;
    },

    /** Writes on this instance drop their accounts at once, without waiting for the feed. */
    evict(ids: Iterable<string>): void {
      forget(new Set(ids));
    },

    /**
     * Reads the change feed when it is due. Resolves at once unless the cache is too old to
     * serve, in which case the caller waits for the read.
     */
    sync(db: Db): Promise<void> | undefined {
      const now = performance.now();
      if (now - freshAsOf < ACCOUNT_SYNC_EVERY_MS) return undefined;
      // A read already overdue is not waited for again by any request that follows: the
      // database counts as away until a read succeeds.
      if (polling && now - polling.started > DATABASE_WAIT_MS) awaySince ??= now;
      // The database is away: accounts are answered as last read (nothing can change them
      // while it is away), no request waits, and a read probes for its return in the
      // background every ACCOUNT_SYNC_EVERY_MS.
      const away = awaySince !== undefined;
      if (!polling || now - polling.started > POLL_GIVE_UP_MS) {
        if (away && now - lastPollStarted < ACCOUNT_SYNC_EVERY_MS) return undefined;
        lastPollStarted = now;
        const current = {
          started: now,
          done: poll(db, now).then(
            () => {
              awaySince = undefined;
            },
            () => {
              awaySince ??= performance.now();
            },
          ),
        };
        void current.done.finally(() => {
          if (polling === current) polling = undefined;
        });
        polling = current;
        if (away || since === undefined) return away ? undefined : current.done;
        // The request that starts a read waits for it (on Workers its I/O belongs to that
        // request and would be cancelled if the request finished first), but not for long.
        return settledWithin(current.done, DATABASE_WAIT_MS, undefined);
      }
      if (away || now - freshAsOf < MAX_LAG_MS) return undefined;
      return settledWithin(polling.done, DATABASE_WAIT_MS, undefined);
    },
  };
}

export type AccountCache = ReturnType<typeof createAccountCache>;

/** The feed only has to reach back as far as an instance that restarts would read it. */
export async function pruneAccountChanges(db: Db): Promise<void> {
  await db.execute(sql`delete from account_changes where changed_at < now() - interval '1 hour'`);
}
