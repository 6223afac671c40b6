import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { databaseErrorSummary } from '../../db/database-errors';
import { jsonParam } from '../../db/json-param';
import { murmur32 } from '../../lib/hash32';
import type { Logger } from '../../logger';

/** What one account saw in one answer of the notices API. */
export type Sighting = {
  account_id: string;
  channel: string;
  seen_at: string;
  treated: string[];
  held_out: string[];
};

const FLUSH_AT = 2_000;
// Rows per INSERT: serialising a few hundred sightings at a time keeps each pause of the event
// loop short, so requests served meanwhile do not wait behind one large flush.
const ROWS_PER_WRITE = 250;
// Accounts whose current sighting this instance has already logged, so repeated views cost a
// map lookup; bounded memory, and forgetting only means logging a sighting twice (harmless).
const REMEMBER_AT_MOST = 500_000;
// Sightings kept while the database is away (a few hundred bytes each): written when it
// returns, so an outage loses none unless it outlasts this many first views.
const MAX_PENDING = 1_000_000;

/**
 * Exposures leave the request path as one compact log row per account whose set of live
 * campaigns changed since this instance last logged it (not one row per campaign: an account
 * in 100 campaigns would otherwise cost 100 index insertions per first view). `flush` writes
 * the log every second, when the buffer fills and at shutdown; a failed flush keeps its rows
 * for the next one. `consolidateExposures` turns the log into first views per campaign.
 */
export function createExposureBuffer(db: Db, logger: Logger) {
  let pending: Sighting[] = [];
  const logged = new Map<string, number>();
  let flushing: Promise<void> | undefined;

  async function write(batch: Sighting[]): Promise<void> {
    await db.execute(sql`
      insert into exposure_log (account_id, channel, seen_at, treated, held_out)
      select account_id, channel, seen_at, treated, held_out
      from jsonb_to_recordset(${jsonParam(batch)})
        as s(account_id text, channel text, seen_at timestamptz, treated jsonb, held_out jsonb)`);
  }

  const buffer = {
    record(sighting: Sighting): void {
      if (sighting.treated.length === 0 && sighting.held_out.length === 0) return;
      const fingerprint = murmur32(`${sighting.treated.join()}|${sighting.held_out.join()}`);
      if (logged.get(sighting.account_id) === fingerprint) return;
      if (logged.size >= REMEMBER_AT_MOST) logged.clear();
      logged.set(sighting.account_id, fingerprint);
      if (pending.length >= MAX_PENDING) {
        // Only after a very long outage: the oldest go, and the log says how many.
        const dropped = pending.splice(0, pending.length - MAX_PENDING + 1).length;
        logger.error('exposure buffer full; oldest sightings dropped', { rows: dropped });
      }
      pending.push(sighting);
      if (pending.length >= FLUSH_AT && !flushing) void buffer.flush().catch(() => {});
    },
    /** Writes everything recorded so far; resolves once it is stored. */
    async flush(): Promise<void> {
      while (flushing) await flushing.catch(() => {});
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      flushing = (async () => {
        for (let i = 0; i < batch.length; i += ROWS_PER_WRITE) {
          try {
            await write(batch.slice(i, i + ROWS_PER_WRITE));
          } catch (error) {
            // Nothing from this chunk on was stored: keep it for the next flush.
            const unwritten = batch.slice(i);
            logger.error('exposure flush failed; will retry', {
              error: databaseErrorSummary(error),
              rows: unwritten.length,
            });
            pending = [...unwritten, ...pending];
            throw error;
          }
        }
      })().finally(() => {
        flushing = undefined;
      });
      await flushing;
    },
  };
  return buffer;
}

export type ExposureBuffer = ReturnType<typeof createExposureBuffer>;
