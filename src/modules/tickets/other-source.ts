import { sql } from 'drizzle-orm';
import { ADVISORY_LOCKS } from '../../db/advisory-locks';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import { AppError } from '../../http/app-error';
import { countOf } from '../../lib/count-words';

/** From this share of a file's first tickets on, they are taken to be tickets stored already. */
const LARGE_SHARE = 0.5;
/**
 * Index probes one look-up may make (each sampled id under each stored source): a tenth of a
 * second or so. Sources are few in practice, but a column of them (one per row) is easily
 * imported, and 20,000 sources times 2,000 ids held the embedded database, and with it the
 * server, for most of a minute.
 */
const PROBES_MAX = 100_000;
/** Ids sampled at the least, whatever the number of sources: enough to tell "most". */
const SAMPLE_MIN = 20;
/** Sources looked at, the first by name: each then gets SAMPLE_MIN probes. */
const SOURCES_MAX = PROBES_MAX / SAMPLE_MIN;

export type TicketKey = { source: string; externalId: string };

/**
 * The stored sources a look-up probes, at most SOURCES_MAX so the probes stay within
 * PROBES_MAX: the others first, then the caller's own (a file's tickets may be stored under
 * one of them by someone else, but a file with a source per row must not crowd out the one
 * its tickets were stored under before).
 */
export function sourcesToLookIn(stored: string[], own: ReadonlySet<string>): string[] {
  const others = stored.filter((source) => !own.has(source));
  return [...others, ...own].slice(0, SOURCES_MAX);
}

/** Of a file's first `sampled` tickets, `matched` have their id stored under `source`. */
export type OtherSource = { source: string; matched: number; sampled: number; as: string };

/**
 * The source a large share of these tickets' ids is stored under already, other than the
 * source each is about to be stored under: tickets are known by source and id, so the same
 * tickets under a new source would be stored a second time. Only the first batch is looked
 * up, each id under each stored source by the (source, external_id) key (no index leads with
 * the id), fewer of its ids the more sources there are, so the cost is bounded (PROBES_MAX)
 * and does not grow with the tickets stored. `own`: tickets the caller stored itself, in the
 * transaction that looks, which are not stored "already".
 */
export async function storedUnderOtherSource(
  db: Db,
  tickets: TicketKey[],
  own: TicketKey[] = [],
): Promise<OtherSource | undefined> {
  if (tickets.length === 0) return undefined;
  // Its own sources are walked past, so they take no other's place (see `sourcesToLookIn`).
  const ownSources = new Set(own.map((t) => t.source));
  const others = rowsOf<{ source: string }>(
    await db.execute(sql`
      with recursive sources(source, depth) as (
        (select source, 1 from tickets order by source limit 1)
        union all
        select (select t.source from tickets t where t.source > s.source order by t.source limit 1),
               s.depth + 1
        from sources s where s.source is not null and s.depth < ${SOURCES_MAX + ownSources.size}
      )
      select source from sources where source is not null`),
  ).map((row) => row.source);
  const sources = sourcesToLookIn(others, ownSources);
  if (sources.length === 0) return undefined;
  const size = Math.max(SAMPLE_MIN, Math.floor(PROBES_MAX / sources.length));
  const sample = [...new Map(tickets.map((t) => [`${t.source}\n${t.externalId}`, t])).values()]
    .slice(0, size)
    .map((t) => ({ source: t.source, external_id: t.externalId }));
  const sampledIds = new Set(sample.map((t) => t.external_id));
  const ownSampled = own
    .filter((t) => sampledIds.has(t.externalId))
    .map((t) => ({ source: t.source, external_id: t.externalId }));
  const [top] = rowsOf<{ source: string; as: string; matched: number }>(
    await db.execute(sql`
      with sources as (select value as source from jsonb_array_elements_text(${jsonParam(sources)})),
      sample as (
        select * from jsonb_to_recordset(${jsonParam(sample)}) as x(source text, external_id text)
      ),
      own as (
        select * from jsonb_to_recordset(${jsonParam(ownSampled)}) as o(source text, external_id text)
      )
      select s.source, x.source as "as", count(*)::int as matched
      from sources s
      join sample x on x.source <> s.source
      -- A lateral lookup with a limit stays an index probe; joined, the planner hashed the
      -- sample against a scan of every ticket (400,000 of them: a seq scan each time).
      cross join lateral (
        select 1 from tickets t
        where t.source = s.source and t.external_id = x.external_id
        limit 1
      ) stored
      where not exists (
        select 1 from own o where o.source = s.source and o.external_id = x.external_id
      )
      group by s.source, x.source
      order by matched desc, s.source
      limit 1`),
  );
  return top && top.matched >= LARGE_SHARE * sample.length
    ? { ...top, sampled: sample.length }
    : undefined;
}

/**
 * Which tickets of a batch are looked up: those of sources nothing is stored under yet (the
 * batch API has no first batch of a file: a source's first tickets are where its doubling
 * starts), or all of them, for a batch its sender says is the first of a file.
 */
export type BatchLookUp = 'new sources' | 'first of file';

/**
 * `storedUnderOtherSource` for a batch, in the transaction that stores it. Batches looked up
 * take turns until each commits, so each sees the tickets of the one before: the same tickets
 * sent at once under two new sources cannot both pass, as neither would see the other's
 * tickets before they are committed. Later batches of a source (a feed, an import resumed)
 * cost one index probe per source and take no turn. Looked up once the transaction has
 * written tickets, those it inserted (`own`) are left out: it would find itself.
 */
export async function storedUnderOtherSourceInBatch(
  tx: Db,
  tickets: TicketKey[],
  lookUp: BatchLookUp,
  own: TicketKey[] = [],
): Promise<OtherSource | undefined> {
  const lookedUp = lookUp === 'first of file' ? tickets : await ofNewSources(tx, tickets);
  if (lookedUp.length === 0) return undefined;
  await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_LOCKS.otherSourceLookUps})`);
  return storedUnderOtherSource(tx, lookedUp, own);
}

async function ofNewSources(db: Db, tickets: TicketKey[]): Promise<TicketKey[]> {
  const sources = [...new Set(tickets.map((t) => t.source))];
  const known = new Set(
    rowsOf<{ source: string }>(
      await db.execute(sql`
        select value as source from jsonb_array_elements_text(${jsonParam(sources)})
        where exists (select 1 from tickets t where t.source = value)`),
    ).map((row) => row.source),
  );
  return tickets.filter((t) => !known.has(t.source));
}

export const shareOf = (other: OtherSource) => Math.round((100 * other.matched) / other.sampled);

/**
 * The API's 409 for tickets that look stored already under another source: what to send
 * for the same tickets, and the field that stores them anyway as other tickets.
 */
export function storedUnderOtherSourceProblem(
  other: OtherSource,
  sent: { in: 'file' | 'batch'; flag: { location: 'query' | 'body'; example: string } },
): AppError {
  const found =
    `${other.matched.toLocaleString('en')} of the first ${countOf(other.sampled, 'ticket')} ` +
    `in this ${sent.in} (${shareOf(other)}%) have ids stored already under the source ` +
    `"${other.source}": tickets are known by source and id, so under "${other.as}" they ` +
    'would be stored a second time and counted twice.';
  const way =
    `If they are the same tickets, send them under "${other.source}"; if they are other ` +
    `tickets that happen to share ids, send the ${sent.in} again with ${sent.flag.example}.`;
  return new AppError('stored_under_other_source', `${found} Nothing was stored.`, [
    { location: sent.flag.location, path: 'store_anyway', message: way },
  ]);
}
