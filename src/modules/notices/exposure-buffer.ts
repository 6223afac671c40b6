import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam } from '../../db/json-param';
import type { ExposureGroup } from '../../db/schema';
import type { Logger } from '../../logger';

type Exposure = {
  campaign_id: string;
  account_id: string;
  group: ExposureGroup;
  channel: string;
  first_at: string;
};

const FLUSH_AT = 5_000;
// Pairs this instance already stored, so repeated views cost a Set lookup; bounded memory.
const REMEMBER_AT_MOST = 200_000;

/**
 * Exposures are written in batches, off the request path: `record` only touches memory, and
 * `flush` (every second, when the buffer fills, and at shutdown) inserts them with
 * ON CONFLICT DO NOTHING, so the first exposure any instance stored wins. A failed flush
 * keeps its rows for the next one.
 */
export function createExposureBuffer(db: Db, logger: Logger) {
  let pending = new Map<string, Exposure>();
  const stored = new Set<string>();
  let flushing: Promise<void> | undefined;

  async function write(batch: Map<string, Exposure>): Promise<void> {
    try {
      await db.execute(sql`
        insert into exposures (campaign_id, account_id, "group", channel, first_at)
        select campaign_id, account_id, "group", channel, first_at
        from jsonb_to_recordset(${jsonParam([...batch.values()])})
          as e(campaign_id uuid, account_id text, "group" text, channel text, first_at timestamptz)
        -- A campaign deleted since the view takes its exposures with it, as the cascade would.
        where exists (select 1 from campaigns c where c.id = e.campaign_id)
        order by campaign_id, account_id
        on conflict (campaign_id, account_id) do nothing`);
      if (stored.size + batch.size > REMEMBER_AT_MOST) stored.clear();
      for (const key of batch.keys()) stored.add(key);
    } catch (error) {
      logger.error('exposure flush failed; will retry', { error: String(error), rows: batch.size });
      for (const [key, exposure] of batch) if (!pending.has(key)) pending.set(key, exposure);
      throw error;
    }
  }

  const buffer = {
    record(exposure: Exposure): void {
      const key = `${exposure.campaign_id}\u0000${exposure.account_id}`;
      if (stored.has(key) || pending.has(key)) return;
      pending.set(key, exposure);
      if (pending.size >= FLUSH_AT) void buffer.flush().catch(() => {});
    },
    /** Writes everything recorded so far; resolves once it is stored. */
    async flush(): Promise<void> {
      while (flushing) await flushing.catch(() => {});
      if (pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      flushing = write(batch).finally(() => {
        flushing = undefined;
      });
      await flushing;
    },
    get pendingCount(): number {
      return pending.size;
    },
  };
  return buffer;
}

export type ExposureBuffer = ReturnType<typeof createExposureBuffer>;
