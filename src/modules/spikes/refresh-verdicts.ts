import { notInArray, sql } from 'drizzle-orm';
import { jsonParam, rowsOf } from '../../db/json-param';
import { reasonVerdicts } from '../../db/schema';
import type { Deps } from '../../deps';
import { earlierWeek, laterWeek } from '../reasons/weeks';
import { findDataAnomalies } from './data-anomalies';
import { DEFAULT_DETECT_OPTIONS, type Explanation, flagSpikes } from './detect';
import { type ReasonResult, toBaseline } from './detection-job';
import { calendarOf } from './season';
import { loadVerdictInput, verdictHorizon } from './verdict-input';

const LEASE = 'detection_lease';
const ALPHA = 'spike_alpha';
const METHOD = 'spike_method';
/**
 * The detection method's version: stored verdicts computed by another are all recomputed.
 * 2: event groups touching most of a window's weeks are part of its baseline.
 */
export const DETECTION_METHOD_VERSION = 2;
/**
 * A refresh holds the lease this long and renews it four times as often while it runs, so a
 * long refresh keeps it while one whose process died holds others back for at most this long.
 */
const LEASE_MS = 60_000;
const RENEW_MS = LEASE_MS / 4;

/**
 * Brings stored verdicts up to date: every reason whose tickets, aliases or calendar changed
 * since (the `detection_changes` the triggers append), or whose verdicts stop before the
 * horizon, is refitted over its whole history on the detection runner (a worker thread on
 * Node), so a week's verdict is the same whenever it is computed; then spikes are flagged
 * again, across reasons, from the earliest week that changed. One instance at a time (a
 * lease in the database). Returns the number of reasons refitted.
 */
export async function refreshVerdicts(deps: Deps): Promise<{ reasons: number }> {
  const holder = crypto.randomUUID();
  if (!(await claimLease(deps, holder))) return { reasons: 0 };
  const renewal = setInterval(() => {
    renewLease(deps, holder).catch((error: unknown) =>
      deps.logger.warn('could not renew the detection lease', { error: String(error) }),
    );
  }, RENEW_MS);
  // A refresh must not keep a stopping process alive; its lease simply runs out.
  (renewal as { unref?: () => void }).unref?.();
  try {
    let reasons = 0;
    // Changes that arrived while a round ran (an import still going) get another round.
    for (let round = 0; round < 5; round++) {
      const done = await refresh(deps);
      reasons += done.reasons;
      if (done.reasons === 0 || !(await pendingChanges(deps))) break;
    }
    return { reasons };
  } finally {
    clearInterval(renewal);
    // Only its own: a lease that ran out may since be another refresh's.
    await deps.db.execute(
      sql`delete from workspace_settings where key = ${LEASE} and value like ${`%${holder}`}`,
    );
  }
}

/**
 * After tickets, aliases or events change: refresh soon, off the request (Node's worker
 * threads). Where detection would run on the request's own thread (Workers), the minute job
 * does it instead.
 */
export function refreshSoon(deps: Deps): void {
  if (!deps.detection.offThread) return;
  deps.background(() =>
    refreshVerdicts(deps).then(
      () => {},
      (error) =>
        deps.logger.error('spike verdicts not refreshed; the refresh-spikes job will retry', {
          error: String(error),
        }),
    ),
  );
}

/** Marks every reason's verdicts for recomputation (e.g. after the method changed). */
export async function recomputeAll(deps: Deps): Promise<void> {
  await deps.db.execute(
    sql`insert into detection_changes (reason_slug, from_week) values (null, '1900-01-01')`,
  );
  refreshSoon(deps);
}

async function refresh(deps: Deps): Promise<{ reasons: number }> {
  const span = await verdictHorizon(deps);
  const [mark] = rowsOf<{ id: number | null }>(
    await deps.db.execute(sql`select max(id)::int as id from detection_changes`),
  );
  const lastChange = mark?.id ?? 0;
  if (!span) {
    await clearChanges(deps, lastChange);
    return { reasons: 0 };
  }
  const alpha = deps.config.spikeAlpha;
  const settings = new Map(
    rowsOf<{ key: string; value: string }>(
      await deps.db.execute(
        sql`select key, value from workspace_settings where key in (${ALPHA}, ${METHOD})`,
      ),
    ).map((row) => [row.key, row.value]),
  );
  const alphaChanged = settings.get(ALPHA) !== String(alpha);
  const methodChanged = settings.get(METHOD) !== String(DETECTION_METHOD_VERSION);
  const dirty = await dirtyReasons(deps, span, lastChange, methodChanged);
  if (dirty.size === 0 && !alphaChanged) {
    await clearChanges(deps, lastChange);
    return { reasons: 0 };
  }

  const [input, storedDigests] = await Promise.all([
    loadVerdictInput(deps, span),
    digestsOf(deps, span.first),
  ]);
  const anomalies = await findDataAnomalies(deps, input.weeks, input.series);
  const anomalyWeeks = new Map<string, Set<number>>();
  const weekIndex = new Map(input.weeks.map((w, i) => [w, i]));
  for (const a of anomalies) {
    const set = anomalyWeeks.get(a.reason) ?? new Set<number>();
    set.add(weekIndex.get(a.week) ?? -1);
    anomalyWeeks.set(a.reason, set);
  }
  const work = [...dirty.keys()].sort().flatMap((reason) => {
    const counts = input.series.get(reason);
    if (!counts) return [];
    const anomalies = [...(anomalyWeeks.get(reason) ?? [])];
    return [{ reason, counts, anomalies, storedDigest: storedDigests.get(reason) }];
  });
  const calendar = calendarOf(input.weeks, input.events);
  const results = work.length > 0 ? await deps.detection({ calendar, reasons: work }) : [];

  const firstChanged =
    alphaChanged || methodChanged ? span.first : [...dirty.values()].reduce(earlierWeek, span.last);
  await deps.db.transaction(async (tx) => {
    const txDeps = { ...deps, db: tx };
    await storeVerdicts(txDeps, results, span.first);
    // Every reason's verdicts for the flags: the fresh ones, and the stored ones of the rest.
    const fresh = new Set(results.map((r) => r.reason));
    const others = (
      await tx
        .select()
        .from(reasonVerdicts)
        .where(notInArray(reasonVerdicts.reasonSlug, [...fresh, '']))
    ).filter((row) => row.firstWeek === span.first);
    const stored = [...results, ...others.map(fromRow)];
    const counts = [
      ...results.map((r) => input.series.get(r.reason) ?? []),
      ...others.map((row) => row.observed),
    ];
    const from = weekIndex.get(laterWeek(firstChanged, span.first)) ?? 0;
    const flagged = flagSpikes(
      stored.map(toBaseline),
      counts,
      { from, to: input.weeks.length - 1 },
      { ...DEFAULT_DETECT_OPTIONS, alpha },
    );
    const rows = flagged.map(({ reason, week }) => {
      const r = stored[reason];
      if (!r) throw new Error(`flagSpikes named reason ${reason} of ${stored.length}`);
      const explanation = new Map(r.explanations).get(week);
      return {
        reason_slug: r.reason,
        week: input.weeks[week],
        observed: counts[reason]?.[week] ?? 0,
        expected: r.expected[week],
        usual: r.usual[week],
        probability: r.probability[week],
        stage: r.stage[week] ?? 'model',
        events: explanation?.attributions ?? [],
        unexplained: explanation?.unexplained ?? 0,
      };
    });
    await tx.execute(
      sql`delete from spike_weeks where week >= ${input.weeks[from] ?? span.first}::date`,
    );
    if (rows.length > 0) {
      await tx.execute(sql`
        insert into spike_weeks (reason_slug, week, observed, expected, usual, probability, stage,
                                 events, unexplained)
        select * from jsonb_to_recordset(${jsonParam(rows)}) as s(reason_slug text, week date,
          observed int, expected real, usual real, probability real, stage text, events jsonb,
          unexplained real)`);
    }
    await tx.execute(sql`delete from data_anomalies`);
    if (anomalies.length > 0) {
      await tx.execute(sql`
        insert into data_anomalies (reason_slug, day, week, contacts)
        select * from jsonb_to_recordset(${jsonParam(anomalies)})
          as a(reason text, day date, week date, contacts int)`);
    }
    await tx.execute(sql`
      insert into workspace_settings (key, value) values (${ALPHA}, ${String(alpha)})
      on conflict (key) do update set value = excluded.value, updated_at = now()`);
    await tx.execute(sql`
      insert into workspace_settings (key, value)
      values (${METHOD}, ${String(DETECTION_METHOD_VERSION)})
      on conflict (key) do update set value = excluded.value, updated_at = now()`);
    await clearChanges(txDeps, lastChange);
  });
  return { reasons: results.length };
}

/** Reasons to refit, each with the first week that changed (every reason: `everyone`). */
async function dirtyReasons(
  deps: Deps,
  span: { first: string; last: string },
  lastChange: number,
  everyone: boolean,
): Promise<Map<string, string>> {
  const rows = rowsOf<{ reason_slug: string; from_week: string }>(
    await deps.db.execute(sql`
      with changed as (
        select reason_slug, min(from_week) as from_week from detection_changes
        where id <= ${lastChange} group by reason_slug
      ),
      everyone as (
        select min(from_week) as from_week from (
          select from_week from changed where reason_slug is null
          union all select ${span.first}::date where ${everyone}
        ) e having count(*) > 0
      )
      select r.reason_slug, least(
          c.from_week, (select from_week from everyone),
          case when v.reason_slug is null or v.first_week <> ${span.first}::date
                 or v.first_week + 7 * (cardinality(v.observed) - 1) <> ${span.last}::date
               then ${span.first}::date end)::text as from_week
      from (select distinct reason_slug from reason_weeks) r
      left join changed c on c.reason_slug = r.reason_slug
      left join reason_verdicts v on v.reason_slug = r.reason_slug
      where c.reason_slug is not null or exists (select 1 from everyone)
        or v.reason_slug is null or v.first_week <> ${span.first}::date
        or v.first_week + 7 * (cardinality(v.observed) - 1) <> ${span.last}::date`),
  );
  return new Map(rows.map((row) => [row.reason_slug, row.from_week ?? span.first]));
}

/** Digests of the stored verdicts that start at `firstWeek`, by reason. */
async function digestsOf(deps: Deps, firstWeek: string): Promise<Map<string, string>> {
  const rows = rowsOf<{ reason_slug: string; digest: string }>(
    await deps.db.execute(sql`
      select reason_slug, digest from reason_verdicts where first_week = ${firstWeek}::date`),
  );
  return new Map(rows.map((row) => [row.reason_slug, row.digest]));
}

/**
 * One statement for the refitted reasons whose verdicts changed (status and stage share one
 * text column); the detection threads encoded their rows.
 */
async function storeVerdicts(
  deps: Deps,
  results: ReasonResult[],
  firstWeek: string,
): Promise<void> {
  const now = deps.clock.now().toISOString();
  const rows = results.flatMap(({ reason, stored }) => {
    if (!stored?.row) return [];
    const { row, digest } = stored;
    return [
      sql`(${reason}, ${firstWeek}::date, ${row.observed}::int[], ${row.expected}::real[],
      ${row.usual}::real[], ${row.probability}::real[], ${row.status}, ${row.history}::int[],
      ${row.explanations}::jsonb, ${digest}, ${now}::timestamptz)`,
    ];
  });
  if (rows.length === 0) return;
  await deps.db.execute(sql`
    insert into reason_verdicts (reason_slug, first_week, observed, expected, usual, probability,
                                 status, history, explanations, digest, computed_at)
    values ${sql.join(rows, sql`, `)}
    on conflict (reason_slug) do update set first_week = excluded.first_week,
      observed = excluded.observed, expected = excluded.expected, usual = excluded.usual,
      probability = excluded.probability, status = excluded.status, history = excluded.history,
      explanations = excluded.explanations, digest = excluded.digest,
      computed_at = excluded.computed_at`);
}

/** A stored row back into a detection result (status and stage share one text column). */
export function fromRow(row: typeof reasonVerdicts.$inferSelect): ReasonResult {
  const [status = '', stage = ''] = row.status.split('|');
  return {
    reason: row.reasonSlug,
    status,
    expected: Float64Array.from(row.expected),
    usual: Float64Array.from(row.usual),
    probability: Float64Array.from(row.probability),
    variance: new Float64Array(0),
    history: Int32Array.from(row.history),
    stage: stage.split('').map((s) => (s === 'm' ? 'model' : s === 's' ? 'short' : null)),
    explanations: Object.entries(row.explanations).map(([week, e]): [number, Explanation] => [
      Number(week),
      e,
    ]),
  };
}

/** The lease's value: until when (ISO, so it compares as text) and which refresh holds it. */
function leaseValue(deps: Deps, holder: string): { now: string; value: string } {
  const now = deps.clock.now();
  return {
    now: now.toISOString(),
    value: `${new Date(now.getTime() + LEASE_MS).toISOString()} ${holder}`,
  };
}

async function claimLease(deps: Deps, holder: string): Promise<boolean> {
  const { now, value } = leaseValue(deps, holder);
  const claimed = rowsOf(
    await deps.db.execute(sql`
      insert into workspace_settings (key, value) values (${LEASE}, ${value})
      on conflict (key) do update set value = excluded.value, updated_at = now()
        where workspace_settings.value < ${now}
      returning key`),
  );
  return claimed.length > 0;
}

async function renewLease(deps: Deps, holder: string): Promise<void> {
  const { value } = leaseValue(deps, holder);
  await deps.db.execute(sql`
    update workspace_settings set value = ${value}, updated_at = now()
    where key = ${LEASE} and value like ${`%${holder}`}`);
}

/** Whether no change awaits detection within `ms`: checked every 10 ms, one row read each. */
export async function verdictsSettled(deps: Deps, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (await pendingChanges(deps)) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

async function pendingChanges(deps: Deps): Promise<boolean> {
  return rowsOf(await deps.db.execute(sql`select 1 from detection_changes limit 1`)).length > 0;
}

async function clearChanges(deps: Deps, lastChange: number): Promise<void> {
  await deps.db.execute(sql`delete from detection_changes where id <= ${lastChange}`);
}
