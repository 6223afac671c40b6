import { type SQLWrapper, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import { postgresCode } from '../../db/retry-transaction';
import { campaignAudit } from '../../db/schema';
import { setStatementTimeout } from '../../db/statement-timeout';
import type { Deps } from '../../deps';
import { AppError, notFound } from '../../http/app-error';
import { encodeKeyCursor, type Page, toPage } from '../../http/pagination';
import { recomputeRecontactsForReasons } from '../recontacts/recompute-recontacts';
import { lockRecontactFlags } from '../recontacts/recontact-work';
import { lockAliases } from './alias-lock';
import { reasonKey } from './reason-key';
import type { ReasonView } from './reason-schemas';
import { rebuildRollup } from './reason-weeks-rollup';
import { addWeeks, currentWeek } from './weeks';

type ReasonRow = {
  slug: string;
  label: string;
  aliases: string[] | null;
  contacts_total: number | string | null;
  contacts_last_4_weeks: number | string | null;
};

const toView = (row: ReasonRow): ReasonView => ({
  slug: row.slug,
  label: row.label,
  aliases: row.aliases ?? [],
  contacts_total: Number(row.contacts_total ?? 0),
  contacts_last_4_weeks: Number(row.contacts_last_4_weeks ?? 0),
});

async function selectReasons(
  deps: Deps,
  where: ReturnType<typeof sql>,
  limit: number,
  db: Db = deps.db,
): Promise<ReasonView[]> {
  const since = addWeeks(currentWeek(deps.clock.now(), deps.config.workspaceTimeZone), -3);
  const rows = rowsOf<ReasonRow>(
    await db.execute(sql`
      select r.slug, r.label,
        (select array_agg(a.alias order by a.alias) from reason_aliases a
          where a.reason_slug = r.slug) as aliases,
        (select sum(w.contacts) from reason_weeks w where w.reason_slug = r.slug) as contacts_total,
        (select sum(w.contacts) from reason_weeks w
          where w.reason_slug = r.slug and w.week >= ${since}::date) as contacts_last_4_weeks
      from reasons r
      where ${where}
      order by r.slug
      limit ${limit}`),
  );
  return rows.map(toView);
}

/**
 * For `reasons r`: a reason made an alias of another keeps its row (its tickets move back to
 * it if the alias goes) but is no reason of its own meanwhile: it is listed among the other's
 * aliases only, and naming it names the other.
 */
export const NOT_AN_ALIAS = sql`not exists (
  select 1 from reason_aliases a where a.alias = r.slug and a.reason_slug <> r.slug)`;

export async function listReasons(
  deps: Deps,
  query: { limit: number; cursor?: string },
): Promise<Page<ReasonView>> {
  const after = query.cursor ? sql`r.slug > ${query.cursor}` : sql`true`;
  const rows = await selectReasons(deps, sql`${after} and ${NOT_AN_ALIAS}`, query.limit + 1);
  return toPage(rows, query.limit, (row) => encodeKeyCursor(row.slug));
}

/** One reason; read through `db` when it is a transaction that just changed it. */
export async function getReason(deps: Deps, slug: string, db: Db = deps.db): Promise<ReasonView> {
  const [reason] = await selectReasons(deps, sql`r.slug = ${slug} and ${NOT_AN_ALIAS}`, 1, db);
  if (reason) return reason;
  const target = await aliasTarget(db, slug);
  if (!target) throw notFound(`Reason ${slug}`);
  throw new AppError(
    'not_found',
    `${slug} is an alias of the reason ${target}, which counts its contacts: read ${target}.`,
  );
}

/** The reason `slug` is an alias of, if it is one. */
async function aliasTarget(db: Db, slug: string): Promise<string | undefined> {
  const [row] = rowsOf<{ reason_slug: string }>(
    await db.execute(
      sql`select reason_slug from reason_aliases where alias = ${slug} and reason_slug <> ${slug}`,
    ),
  );
  return row?.reason_slug;
}

/**
 * Creates or relabels a reason and, when `aliases` is given, makes them exactly its aliases:
 * tickets that arrived under those raw reasons move to it now (and under removed ones move
 * back), with the weekly rollup and re-contact flags recomputed for every reason touched.
 */
export async function putReason(
  deps: Deps,
  slug: string,
  input: { label: string; aliases?: string[] },
  actor: string,
): Promise<{ reason: ReasonView; created: boolean }> {
  const now = deps.clock.now().toISOString();
  const inTime = aliasChangeDeadline(deps.config.requestTimeoutMs);
  const { created, reason } = await deps.db.transaction(async (tx) => {
    await refuseAnAlias(tx, slug);
    const upserted = rowsOf<{ inserted: boolean }>(
      await tx.execute(sql`
        insert into reasons (slug, label, created_at, updated_at)
        values (${slug}, ${input.label}, ${now}::timestamptz, ${now}::timestamptz)
        on conflict (slug) do update set label = excluded.label, updated_at = excluded.updated_at
        returning (xmax = 0) as inserted`),
    );
    if (input.aliases) {
      // Alone among alias changes and writes that map names, so two changes can never build
      // a chain between them, nor a write store a name this change aliases after it moved
      // what was stored under it.
      await lockAliases(tx);
      // Before any ticket row is locked: a settle holding this lock may be waiting for them.
      await lockRecontactFlags(tx);
      const keys = [...new Set(input.aliases.map(reasonKey))].filter((key) => key && key !== slug);
      if (keys.length > 0) await refuseAliasChains(tx, slug, keys);
      const touched = await inTime(tx, () => replaceAliases(tx, slug, keys));
      await inTime(tx, () => renameInCalendarAndCampaigns(tx, { slug, keys, now, actor }));
      await inTime(tx, () => rebuildRollup(tx, deps.config.workspaceTimeZone, touched));
      await inTime(tx, () => recomputeRecontactsForReasons(tx, touched));
    }
    // Read before the commit: a PUT racing this one must not lend this answer its label.
    return { created: upserted[0]?.inserted ?? false, reason: await getReason(deps, slug, tx) };
  });
  if (input.aliases) deps.afterDetectionInputChange(deps);
  return { reason, created };
}

const QUERY_CANCELED = '57014';

/**
 * Moving a large reason's tickets can take longer than a caller waits (REQUEST_TIMEOUT_MS),
 * and ticket writes queue behind it meanwhile. Each step of the change runs with what is left
 * of the request's deadline (less a margin to roll back in) as its statement timeout (Postgres
 * 15 has none for a whole transaction), so past it Postgres cancels the work and the 503 the
 * caller gets means nothing changed, rather than a change committing after its caller was told
 * to retry.
 */
function aliasChangeDeadline(requestTimeoutMs: number) {
  const until = Date.now() + requestTimeoutMs - Math.max(500, requestTimeoutMs / 10);
  const outOfTime = () =>
    new AppError(
      'unavailable',
      `Moving the tickets under these aliases did not finish within ${requestTimeoutMs} ms, ` +
        'so nothing changed. Try again when fewer tickets are being written, or raise ' +
        'REQUEST_TIMEOUT_MS.',
      undefined,
      30,
    );
  return async <T>(tx: Db, work: () => Promise<T>): Promise<T> => {
    const left = Math.floor(until - Date.now());
    if (left <= 0) throw outOfTime();
    await setStatementTimeout(tx, left);
    try {
      return await work();
    } catch (error) {
      throw postgresCode(error) === QUERY_CANCELED ? outOfTime() : error;
    }
  };
}

/**
 * A reason that is an alias of another is changed through that one: it takes no label (it is
 * shown as the other) and no aliases (aliases are one level deep).
 */
async function refuseAnAlias(tx: Db, slug: string): Promise<void> {
  const target = await aliasTarget(tx, slug);
  if (!target) return;
  throw new AppError(
    'conflict',
    `Reason ${slug} is an alias of ${target}: change ${target} instead, or first take ` +
      `${slug} out of its aliases.`,
    [{ location: 'path', path: 'slug', message: `an alias of ${target}` }],
  );
}

/**
 * A reason with aliases of its own cannot become one (each would otherwise hold the other's
 * contacts).
 */
async function refuseAliasChains(tx: Db, slug: string, keys: string[]): Promise<void> {
  const targets = rowsOf<{ reason_slug: string }>(
    await tx.execute(sql`
      select distinct reason_slug from reason_aliases
      where reason_slug in (select jsonb_array_elements_text(${jsonParam(keys)}))
      order by reason_slug`),
  ).map((row) => row.reason_slug);
  if (targets.length > 0) {
    throw new AppError(
      'conflict',
      `${targets.join(', ')} ${targets.length === 1 ? 'has' : 'have'} aliases of ${
        targets.length === 1 ? 'its' : 'their'
      } own, so cannot become an alias of ${slug}: move those aliases first.`,
      targets.map((target) => ({
        location: 'body',
        path: 'aliases',
        message: `${target} has aliases of its own`,
      })),
    );
  }
}

/**
 * Events, and campaigns still to run or running, that named a reason now made an alias name
 * the reason it joins, so none is left pointing at a reason that no longer holds a contact.
 * An ended campaign keeps its targets, as its measurements were taken with them; each event
 * changed gets a version, and each campaign a version and an audit entry, as any other change
 * does.
 */
export async function renameInCalendarAndCampaigns(
  tx: Db,
  change: { slug: string; keys: string[]; now: string; actor: string },
): Promise<void> {
  const { slug, keys, now, actor } = change;
  if (keys.length === 0) return;
  const aliased = new Set(keys);
  const renamed = (names: string[]) => [...new Set(names.map((n) => (aliased.has(n) ? slug : n)))];
  const naming = (column: SQLWrapper) =>
    sql`exists (select 1 from jsonb_array_elements_text(${column}) as r
                where r in (select jsonb_array_elements_text(${jsonParam(keys)})))`;

  const namingEvents = rowsOf<{ id: string; affected_reasons: string[] }>(
    await tx.execute(sql`
      select id, affected_reasons from events
      where ${naming(sql.identifier('affected_reasons'))} for update`),
  );
  for (const event of namingEvents) {
    await tx.execute(sql`
      update events set affected_reasons = ${jsonParam(renamed(event.affected_reasons))},
        updated_at = ${now}::timestamptz
      where id = ${event.id}`);
  }

  const namingCampaigns = rowsOf<{ id: string; target_reasons: string[] }>(
    await tx.execute(sql`
      select id, target_reasons from campaigns
      where ${naming(sql.identifier('target_reasons'))}
        and cancelled_at is null and (ends_at is null or ends_at > ${now}::timestamptz)
      for update`),
  );
  for (const campaign of namingCampaigns) {
    const targets = renamed(campaign.target_reasons);
    await tx.execute(sql`
      update campaigns set target_reasons = ${jsonParam(targets)},
        updated_at = ${now}::timestamptz
      where id = ${campaign.id}`);
    await tx.insert(campaignAudit).values({
      id: uuidv7(),
      campaignId: campaign.id,
      at: new Date(now),
      actor,
      action: 'reason_aliased',
      changes: { target_reasons: { from: campaign.target_reasons, to: targets } },
    });
  }
}

/** Returns every reason whose tickets changed. */
async function replaceAliases(tx: Db, slug: string, keys: string[]): Promise<string[]> {
  const keysParam = jsonParam(keys);
  const removed = rowsOf<{ alias: string }>(
    await tx.execute(sql`
      delete from reason_aliases
      where reason_slug = ${slug}
        and alias not in (select jsonb_array_elements_text(${keysParam}))
      returning alias`),
  ).map((row) => row.alias);
  await tx.execute(sql`
    insert into reason_aliases (alias, reason_slug)
    select key, ${slug} from jsonb_array_elements_text(${keysParam}) as key
    order by key
    on conflict (alias) do update set reason_slug = excluded.reason_slug`);

  const movedFrom = rowsOf<{ reason_slug: string }>(
    await tx.execute(sql`
      with moved as (
        select id, reason_slug from tickets
        where raw_reason_key in (select jsonb_array_elements_text(${keysParam}))
          and reason_slug <> ${slug}
        for update
      ), updated as (
        update tickets t set reason_slug = ${slug} from moved
        where t.id = moved.id
        returning moved.reason_slug
      )
      select distinct reason_slug from updated`),
  ).map((row) => row.reason_slug);

  if (removed.length > 0) {
    // A raw reason that is no longer an alias becomes (again) a reason of its own.
    await tx.execute(sql`
      insert into reasons (slug, label)
      select key, key from jsonb_array_elements_text(${jsonParam(removed)}) as key
      on conflict (slug) do nothing`);
    await tx.execute(sql`
      update tickets set reason_slug = raw_reason_key
      where reason_slug = ${slug}
        and raw_reason_key in (select jsonb_array_elements_text(${jsonParam(removed)}))`);
  }
  return [...new Set([slug, ...movedFrom, ...removed])];
}

const ROLLUP_TIME_ZONE = 'rollup_time_zone';

/** The zone the stored weekly rollup was counted in; undefined before it was first counted. */
async function rollupZone(db: Db): Promise<string | undefined> {
  const [row] = rowsOf<{ value: string }>(
    await db.execute(sql`select value from workspace_settings where key = ${ROLLUP_TIME_ZONE}`),
  );
  return row?.value;
}

/**
 * Warns when the stored rollup was counted in another zone than this instance's: a Worker
 * never recounts it (`npm run db:migrate` does), so it would add new tickets to weeks cut
 * in its own zone beside weeks cut in the old one.
 */
export async function warnIfRollupZoneDiffers(deps: Deps): Promise<void> {
  const counted = await rollupZone(deps.db);
  const zone = deps.config.workspaceTimeZone;
  if (counted !== undefined && counted !== zone) {
    deps.logger.warn('the weekly rollup is counted in another time zone than WORKSPACE_TIME_ZONE', {
      workspace_time_zone: zone,
      rollup_time_zone: counted,
      fix: 'run npm run db:migrate with the WORKSPACE_TIME_ZONE this instance gets',
    });
  }
}

/**
 * The rollup is counted in the workspace time zone; when that setting changes, recount it
 * once (at start-up or on `db:migrate`) rather than serve weeks cut in the old zone.
 */
export async function syncRollupTimeZone(deps: Deps): Promise<'unchanged' | 'rebuilt'> {
  return deps.db.transaction(async (tx) => {
    await tx.execute(sql`lock table workspace_settings in exclusive mode`);
    const counted = await rollupZone(tx);
    const zone = deps.config.workspaceTimeZone;
    if (counted === zone) return 'unchanged';
    if (counted !== undefined) await rebuildRollup(tx, zone);
    await tx.execute(sql`
      insert into workspace_settings (key, value) values (${ROLLUP_TIME_ZONE}, ${zone})
      on conflict (key) do update set value = excluded.value, updated_at = now()`);
    return counted !== undefined ? 'rebuilt' : 'unchanged';
  });
}
