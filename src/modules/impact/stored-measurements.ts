import { and, desc, getTableColumns, sql } from 'drizzle-orm';
import { type CampaignRow, campaignMeasurements, campaigns } from '../../db/schema';
import type { Deps } from '../../deps';
import { measurementWindow } from './campaign-assessment';
import {
  type CampaignMeasurement,
  catchUpForMeasurement,
  type GroupMeasurement,
  measureCampaigns,
} from './campaign-measurements';
import {
  type ExposureColumns,
  exposureColumns,
  exposureEndSql,
  exposurePeriod,
} from './exposure-period';
import { ranBy } from './not-run-impact';
import { estimatesAtOnce } from './observational-impact';

/**
 * The version of the measuring code: raise it with any change that would store different
 * sums for the same tickets (a new exposure rule, a new way of counting). Rows stored by
 * another version read as missing: the report measures those campaigns itself until the job
 * has measured them again.
 * 1: as of migration 0037.
 * 2: a campaign whose email went out before its start is measured from that email; an
 *    incident's or a maintenance's banner has no observational estimate.
 * 3: each group keeps per-account sums of re-contacts and contacts, satisfied and rated
 *    contacts (`perAccount`), which the companion warnings' variances are clustered by; a
 *    measurement without them cannot be warned on.
 */
export const MEASUREMENT_METHOD_VERSION = 3;
/**
 * The version of the observational estimator, which only campaigns without a holdout are
 * measured with: raise it alone with a change to the estimator, so campaigns with a holdout,
 * whose sums did not change, are not measured again.
 * 1 and 2: as MEASUREMENT_METHOD_VERSION 1 and 2 (the estimates they stored).
 * 3: one random stream an estimate, not one for each model it draws from.
 */
export const OBSERVATIONAL_METHOD_VERSION = 3;
/** The estimator's version a campaign's stored row must carry: none with a holdout. */
const observationalVersionFor = (holdoutPercent: number) =>
  holdoutPercent === 0 ? OBSERVATIONAL_METHOD_VERSION : null;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The job runs every 10 minutes: a measurement younger than two runs is current. */
export const MEASUREMENT_MAX_AGE_MS = 20 * MINUTE_MS;
/** Tickets may still arrive for a while after a window closes; after this its answer stands. */
const SETTLED_DAYS = 30;
/** Campaigns measured per statement, so one statement stays well under its timeout. */
const CHUNK = 25;
/**
 * A run takes no more chunks after this, so it ends before the next run (every 10 minutes)
 * starts, which goes on from there: after a new MEASUREMENT_METHOD_VERSION every campaign
 * that ever ran is measured again, newest first, over as many runs as that takes.
 */
const RUN_BUDGET_MS = 5 * MINUTE_MS;

/** `emailedAnyway` is missing from measurements stored before it was counted. */
type StoredGroup = Omit<GroupMeasurement, 'moments' | 'emailedAnyway'> & {
  moments: number[];
  emailedAnyway?: number;
};
type ByGroup<T> = { treated: T; holdout: T };
/** A measurement as the jsonb column holds it (typed arrays and maps as plain arrays). */
export type StoredMeasurement = {
  groups: ByGroup<StoredGroup>;
  weeks: [string, ByGroup<{ every: number; target: number }>][];
  reasons: [string, ByGroup<number>][];
};

const stored = (m: CampaignMeasurement): StoredMeasurement => {
  const group = (g: GroupMeasurement): StoredGroup => ({ ...g, moments: Array.from(g.moments) });
  return {
    groups: { treated: group(m.groups.treated), holdout: group(m.groups.holdout) },
    weeks: [...m.weeks],
    reasons: [...m.reasons],
  };
};

const revived = (s: StoredMeasurement): CampaignMeasurement => {
  const group = (g: StoredGroup): GroupMeasurement => ({
    ...g,
    emailedAnyway: g.emailedAnyway ?? 0,
    moments: Float64Array.from(g.moments),
  });
  return {
    groups: { treated: group(s.groups.treated), holdout: group(s.groups.holdout) },
    weeks: new Map(s.weeks),
    reasons: new Map(s.reasons),
  };
};

/**
 * The `measure-campaigns` job: every campaign that ran (see `ranBy`), has started or was
 * cancelled after it reached accounts, and was not measured by this version 30 days or more
 * after its window closed, measured to now (to its window's end once closed) and stored with
 * its observational estimate, a chunk of campaigns per statement. Those whose windows end
 * last (or not at all) go first, which the report's recent weeks read; it takes no more
 * chunks once `stop` is aborted or after `budgetMs`. Answers how many it stored.
 */
export async function measureAndStore(
  deps: Deps,
  now: Date,
  options: { stop?: AbortSignal; budgetMs?: number } = {},
): Promise<number> {
  const began = performance.now();
  const { stop, budgetMs = RUN_BUDGET_MS } = options;
  const windowDays = deps.config.impactWindowDays;
  const settledAfter = `${windowDays + SETTLED_DAYS} days`;
  const rows = await deps.db
    .select({ ...getTableColumns(campaigns), ...exposureColumns })
    .from(campaigns)
    .where(
      and(
        ranBy(now),
        // Not yet measured once settled by this version (an open-ended campaign never is,
        // until cancelled), or settled before held-out accounts emailed anyway were counted.
        sql`not exists (select 1 from campaign_measurements m
          where m.campaign_id = ${campaigns.id}
            and m.method_version = ${MEASUREMENT_METHOD_VERSION}
            and (${campaigns.holdoutPercent} > 0
              or m.observational_version = ${OBSERVATIONAL_METHOD_VERSION})
            and m.measured_at >= ${exposureEndSql} + ${settledAfter}::interval
            and m.measurement -> 'groups' -> 'holdout' ? 'emailedAnyway')`,
      ),
    )
    .orderBy(sql`${exposureEndSql} desc nulls first`, desc(campaigns.id));
  // A cancelled campaign is here because it reached accounts before its cancellation.
  const started = rows.filter((row) => {
    const { start } = exposurePeriod(row);
    return row.cancelledAt || (start && start < now);
  });
  if (started.length === 0) return 0;
  await catchUpForMeasurement(deps);
  let storedCount = 0;
  for (let i = 0; i < started.length; i += CHUNK) {
    if (stop?.aborted || (i > 0 && performance.now() - began > budgetMs)) break;
    const chunk = started.slice(i, i + CHUNK);
    const windows = new Map(chunk.map((row) => [row.id, measurementWindow(row, now, windowDays)]));
    const windowEnd = (id: string) => windows.get(id)?.end ?? now;
    // The estimates run a few at a time beside the chunk's measurement, as in the report.
    const [measured, estimates] = await Promise.all([
      measureCampaigns(
        deps.db,
        chunk.map((row) => ({
          id: row.id,
          targetReasons: row.targetReasons,
          windowEnd: windowEnd(row.id),
        })),
        deps.config.workspaceTimeZone,
      ),
      estimatesAtOnce(
        deps,
        chunk.filter((row) => row.holdoutPercent === 0),
        (row) => windowEnd(row.id),
      ),
    ]);
    const values = [];
    for (const row of chunk) {
      const measurement = measured.get(row.id);
      if (!measurement) continue;
      values.push({
        campaignId: row.id,
        windowEnd: windowEnd(row.id),
        measuredAt: now,
        measurement: stored(measurement),
        observational: estimates.get(row.id) ?? null,
        methodVersion: MEASUREMENT_METHOD_VERSION,
        observationalVersion: observationalVersionFor(row.holdoutPercent),
      });
    }
    if (values.length === 0) continue;
    storedCount += values.length;
    await deps.db
      .insert(campaignMeasurements)
      .values(values)
      .onConflictDoUpdate({
        target: campaignMeasurements.campaignId,
        set: {
          windowEnd: sql`excluded.window_end`,
          measuredAt: sql`excluded.measured_at`,
          measurement: sql`excluded.measurement`,
          observational: sql`excluded.observational`,
          methodVersion: sql`excluded.method_version`,
          observationalVersion: sql`excluded.observational_version`,
        },
      });
  }
  return storedCount;
}

/** A stored measurement as the column holds it, left as JSON text for the thread that reads it. */
export type StoredMeasurementJson = {
  /** A `StoredMeasurement` (see `revivedMeasurement`). */
  measurement: string;
  /** The observational estimate, for a campaign without a holdout. */
  observational: string | null;
  /** When the measurement was taken: its window runs to then, or to its end. */
  measuredAt: Date;
};

/** A stored measurement's JSON as the estimators read it (typed arrays and maps). */
export const revivedMeasurement = (json: string): CampaignMeasurement =>
  revived(JSON.parse(json) as StoredMeasurement);

/**
 * A campaign's stored measurement as a reader selects it beside the campaign (a left join
 * on `campaign_measurements`), its JSON left as text for the thread that reads it.
 */
export const storedMeasurementColumns = {
  storedWindowEnd: campaignMeasurements.windowEnd,
  storedAt: campaignMeasurements.measuredAt,
  storedMeasurement: sql<string | null>`${campaignMeasurements.measurement}::text`,
  storedObservational: sql<string | null>`${campaignMeasurements.observational}::text`,
  storedMethodVersion: campaignMeasurements.methodVersion,
  storedObservationalVersion: campaignMeasurements.observationalVersion,
};

type WithStored = ExposureColumns &
  Pick<CampaignRow, 'updatedAt' | 'holdoutPercent'> & {
    storedWindowEnd: Date | null;
    storedAt: Date | null;
    storedMeasurement: string | null;
    storedObservational: string | null;
    storedMethodVersion: number | null;
    storedObservationalVersion: number | null;
  };

/**
 * The stored measurement a reader may use at `now` in place of measuring, or null: taken by
 * this version of the measuring code after the campaign last changed, and either current
 * (younger than two job runs) or final and settled (taken 30 days or more after the window
 * closed). Its JSON is not parsed here: a report reads 500 of them, and the request thread
 * only passes them on to a compute thread.
 */
export function usableMeasurement(
  row: WithStored,
  now: Date,
  windowDays: number,
): StoredMeasurementJson | null {
  const { storedAt, storedWindowEnd, storedMeasurement } = row;
  if (!storedAt || !storedWindowEnd || storedMeasurement === null) return null;
  if (row.storedMethodVersion !== MEASUREMENT_METHOD_VERSION) return null;
  if (row.holdoutPercent === 0 && row.storedObservationalVersion !== OBSERVATIONAL_METHOD_VERSION) {
    return null;
  }
  if (row.updatedAt > storedAt) return null;
  const window = measurementWindow(row, storedAt, windowDays);
  if (window.end.getTime() !== storedWindowEnd.getTime()) return null;
  const current = now.getTime() - storedAt.getTime() <= MEASUREMENT_MAX_AGE_MS;
  const settled =
    window.measurement === 'final' &&
    storedAt.getTime() - window.end.getTime() >= SETTLED_DAYS * DAY_MS;
  if (!current && !settled) return null;
  return {
    measurement: storedMeasurement,
    // A JSON null in the column reads as no estimate, as the parsed column did.
    observational: row.storedObservational === 'null' ? null : row.storedObservational,
    measuredAt: storedAt,
  };
}
