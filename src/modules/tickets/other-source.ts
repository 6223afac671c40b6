import { sql } from 'drizzle-orm';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';

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

/** Of a file's first `sampled` tickets, `matched` have their id stored under `source`. */
export type OtherSource = { source: string; matched: number; sampled: number; as: string };

/**
 * The source a large share of these tickets' ids is stored under already, other than the
 * source each is about to be stored under: tickets are known by source and id, so the same
 * tickets under a new source would be stored a second time. Only the first batch is looked
 * up, each id under each stored source by the (source, external_id) key (no index leads with
 * the id), fewer of its ids the more sources there are, so the cost is bounded (PROBES_MAX)
 * and does not grow with the tickets stored.
 */
export async function storedUnderOtherSource(
  deps: Deps,
  tickets: { source: string; externalId: string }[],
): Promise<OtherSource | undefined> {
  if (tickets.length === 0) return undefined;
  const sources = rowsOf<{ source: string }>(
    await deps.db.execute(sql`
      with recursive sources(source, depth) as (
        (select source, 1 from tickets order by source limit 1)
        union all
        select (select t.source from tickets t where t.source > s.source order by t.source limit 1),
               s.depth + 1
        from sources s where s.source is not null and s.depth < ${SOURCES_MAX}
      )
      select source from sources where source is not null`),
  ).map((row) => row.source);
  if (sources.length === 0) return undefined;
  const size = Math.max(SAMPLE_MIN, Math.floor(PROBES_MAX / sources.length));
  const sample = [...new Map(tickets.map((t) => [`${t.source}\n${t.externalId}`, t])).values()]
    .slice(0, size)
    .map((t) => ({ source: t.source, external_id: t.externalId }));
  const [top] = rowsOf<{ source: string; as: string; matched: number }>(
    await deps.db.execute(sql`
      with sources as (select value as source from jsonb_array_elements_text(${jsonParam(sources)})),
      sample as (
        select * from jsonb_to_recordset(${jsonParam(sample)}) as x(source text, external_id text)
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
      group by s.source, x.source
      order by matched desc, s.source
      limit 1`),
  );
  return top && top.matched >= LARGE_SHARE * sample.length
    ? { ...top, sampled: sample.length }
    : undefined;
}
