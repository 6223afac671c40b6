import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { recomputeRecontactsForReasons } from '../recontacts/recompute-recontacts';
import { lockRecontactFlags } from '../recontacts/recontact-work';
import { lockAliases } from './alias-lock';
import { rebuildRollup } from './reason-weeks-rollup';
import { renameInCalendarAndCampaigns } from './reasons.service';

const MENDED = 'aliases_one_level_deep';
const ACTOR = 'alias mend at start-up';

export type AliasMend = { aliasesChanged: number; ticketsMoved: number; reasonsRecounted: number };

/**
 * Aliases were not always one level deep, nor ticket writes kept from running beside an
 * alias change. A workspace from before may hold a chain (a → b → c), a loop (a → b → a, each
 * reason holding the other's contacts), tickets filed under a reason their raw reason no
 * longer maps to, and events or campaigns naming a reason that became an alias. Once per
 * workspace (at start-up and on `db:migrate`) this puts them right: a chain's aliases join
 * the reason at its end, a loop's the first of its slugs in order (which stops being an
 * alias); every ticket is filed where its raw reason maps, with the rollups and re-contact
 * flags recounted; events, and campaigns still to run or running, name the reason an alias
 * joins. Null when it ran before. The rollups' triggers queue the verdicts to recompute,
 * which the refresh job takes up once the service runs.
 */
export async function mendAliases(deps: Deps): Promise<AliasMend | null> {
  return deps.db.transaction(async (tx) => {
    await lockAliases(tx);
    const done = rowsOf(
      await tx.execute(sql`select 1 from workspace_settings where key = ${MENDED}`),
    );
    if (done.length > 0) return null;
    await lockRecontactFlags(tx);
    const aliasesChanged = await flattenAliases(tx);
    const moved = await fileTicketsWhereTheyMap(tx);
    await renameEverywhere(tx, deps.clock.now().toISOString());
    if (moved.reasons.length > 0) {
      await rebuildRollup(tx, deps.config.workspaceTimeZone, moved.reasons);
      await recomputeRecontactsForReasons(tx, moved.reasons);
    }
    await tx.execute(sql`
      insert into workspace_settings (key, value) values (${MENDED}, '1')
      on conflict (key) do nothing`);
    return { aliasesChanged, ticketsMoved: moved.tickets, reasonsRecounted: moved.reasons.length };
  });
}

/** Every alias points at a reason that is no alias; returns how many aliases changed. */
async function flattenAliases(tx: Db): Promise<number> {
  const links = rowsOf<{ alias: string; reason_slug: string }>(
    await tx.execute(sql`select alias, reason_slug from reason_aliases order by alias`),
  );
  const targetOf = new Map(links.map((link) => [link.alias, link.reason_slug]));
  const ends = aliasEnds(targetOf);
  const freed = [...ends].filter(([, end]) => end === null).map(([alias]) => alias);
  const moved = [...ends].flatMap(([alias, end]) =>
    end !== null && end !== targetOf.get(alias) ? [{ alias, end_slug: end }] : [],
  );
  if (freed.length > 0) {
    await tx.execute(sql`
      delete from reason_aliases
      where alias in (select jsonb_array_elements_text(${jsonParam(freed)}))`);
  }
  if (moved.length > 0) {
    await tx.execute(sql`
      update reason_aliases a set reason_slug = m.end_slug
      from jsonb_to_recordset(${jsonParam(moved)}) as m(alias text, end_slug text)
      where a.alias = m.alias`);
  }
  return freed.length + moved.length;
}

/**
 * Where each alias should point: the reason at the end of its chain, or, for a chain that
 * loops, the first slug of the loop; null for that slug itself, which stops being an alias.
 */
function aliasEnds(targetOf: Map<string, string>): Map<string, string | null> {
  const ends = new Map<string, string | null>();
  for (const start of targetOf.keys()) {
    const path: string[] = [];
    let at = start;
    while (targetOf.has(at) && !path.includes(at)) {
      path.push(at);
      at = targetOf.get(at) as string;
    }
    const loop = targetOf.has(at) ? path.slice(path.indexOf(at)) : [];
    const end = loop.length > 0 ? [...loop].sort()[0] : at;
    ends.set(start, start === end ? null : (end as string));
  }
  return ends;
}

/** Files every ticket under the reason its raw reason maps to; returns what moved. */
async function fileTicketsWhereTheyMap(tx: Db): Promise<{ tickets: number; reasons: string[] }> {
  const misfiled = sql`
    select t.id, t.reason_slug as was, coalesce(a.reason_slug, t.raw_reason_key) as filed
    from tickets t left join reason_aliases a on a.alias = t.raw_reason_key
    where t.reason_slug <> coalesce(a.reason_slug, t.raw_reason_key)`;
  // A raw reason no longer an alias is a reason of its own again.
  await tx.execute(sql`
    insert into reasons (slug, label)
    select distinct filed, filed from (${misfiled}) as m
    on conflict (slug) do nothing`);
  const moves = rowsOf<{ was: string; filed: string }>(
    await tx.execute(sql`
      with misfiled as (${misfiled} for update of t)
      update tickets t set reason_slug = misfiled.filed from misfiled
      where t.id = misfiled.id
      returning misfiled.was, misfiled.filed`),
  );
  const reasons = new Set(moves.flatMap((move) => [move.was, move.filed]));
  return { tickets: moves.length, reasons: [...reasons].sort() };
}

/** Events and live campaigns that name an alias name the reason it joins. */
async function renameEverywhere(tx: Db, now: string): Promise<void> {
  const aliases = rowsOf<{ reason_slug: string; keys: string[] }>(
    await tx.execute(sql`
      select reason_slug, array_agg(alias order by alias) as keys
      from reason_aliases group by reason_slug order by reason_slug`),
  );
  for (const { reason_slug: slug, keys } of aliases) {
    await renameInCalendarAndCampaigns(tx, { slug, keys, now, actor: ACTOR });
  }
}
