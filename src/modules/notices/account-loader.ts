import DataLoader from 'dataloader';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { AudienceSubject } from '../campaigns/audience';
import type { NoticeAccount } from './account-cache';

type AccountRow = AudienceSubject & { created_at: string | Date; dismissed: string[] | null };

// Loads asked for while the event loop handles one round of I/O go out as one query.
const nextRound = (run: () => void) =>
  typeof setImmediate === 'function' ? setImmediate(run) : setTimeout(run, 0);

/**
 * Reads accounts (with their dismissals) for the notices API in batches: under load, the
 * requests that arrive together share one query instead of one round trip each.
 */
export function createAccountLoader(db: Db) {
  return new DataLoader<string, NoticeAccount | undefined>(
    async (ids) => {
      const rows = rowsOf<AccountRow>(
        await db.execute(sql`
          select a.id, a.plan, a.region, a.components, a.locale, a.time_zone, a.attributes,
                 a.created_at,
                 (select json_agg(d.campaign_id) from notice_dismissals d
                  where d.account_id = a.id) as dismissed
          from accounts a
          where a.id in (select jsonb_array_elements_text(${jsonParam(ids)}))`),
      );
      const byId = new Map(rows.map((row) => [row.id, toNoticeAccount(row)]));
      return ids.map((id) => byId.get(id));
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: nextRound },
  );
}

export type AccountLoader = ReturnType<typeof createAccountLoader>;

function toNoticeAccount({ created_at, dismissed, ...subject }: AccountRow): NoticeAccount {
  return {
    ...subject,
    createdAtMs: new Date(created_at).getTime(),
    dismissed: new Set(dismissed ?? []),
  };
}
