import DataLoader from 'dataloader';
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { NoticeAccount } from './account-cache';
import { type AccountRow, compactAccount } from './compact-account';

// Loads asked for while the event loop handles one round of I/O go out as one query.
const nextRound = (run: () => void) =>
  typeof setImmediate === 'function' ? setImmediate(run) : setTimeout(run, 0);

async function selectNoticeAccounts(db: Db, where: SQL, limit = 5_000) {
  const rows = rowsOf<AccountRow>(
    await db.execute(sql`
      select a.id, a.plan, a.region, a.components, a.locale, a.time_zone, a.attributes,
             a.created_at,
             (select json_agg(d.campaign_id) from notice_dismissals d
              where d.account_id = a.id) as dismissed
      from accounts a
      where ${where}
      order by a.id
      limit ${limit}`),
  );
  return rows.map(compactAccount);
}

/**
 * Reads accounts (with their dismissals) for the notices API in batches: under load, the
 * requests that arrive together share one query instead of one round trip each.
 */
export function createAccountLoader(db: Db) {
  return new DataLoader<string, NoticeAccount | undefined>(
    async (ids) => {
      const accounts = await selectNoticeAccounts(
        db,
        sql`a.id in (select jsonb_array_elements_text(${jsonParam(ids)}))`,
      );
      const byId = new Map(accounts.map((account) => [account.id, account]));
      return ids.map((id) => byId.get(id));
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: nextRound },
  );
}

export type AccountLoader = ReturnType<typeof createAccountLoader>;

/** Accounts in id order after `afterId`, a page at a time, to fill a cache at start-up. */
export const accountsAfter = (db: Db, afterId: string) =>
  selectNoticeAccounts(db, sql`a.id > ${afterId}`);
