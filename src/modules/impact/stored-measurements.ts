import { and, inArray, sql } from 'drizzle-orm';
import { type CampaignRow, campaignMeasurements, campaigns } from '../../db/schema';
import type { Deps } from '../../deps';
import { publishedCampaign } from '../campaigns/campaign-status';
import { measurementWindow } from './campaign-assessment';
import {
  type CampaignMeasurement,
  catchUpForMeasurement,
  type GroupMeasurement,
  measureCampaigns,
} from './campaign-measurements';
import type { ObservationalEstimate } from './observational-estimate';
import { observationalImpact } from './observational-impact';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** The job runs every 10 minutes: a measurement younger than two runs is current. */
export const MEASUREMENT_MAX_AGE_MS = 20 * MINUTE_MS;
/** Tickets may still arrive for a while after a window closes; after this its answer stands. */
const SETTLED_DAYS = 30;
/** Campaigns measured per statement, so one statement stays well under its timeout. */
const CHUNK = 25;

type StoredGroup = Omit<GroupMeasurement, 'moments'> & { moments: number[] };
type ByGroup<T> = { treated: T; holdout: T };
/** A measurement as the jsonb column holds it (typed arrays and maps as plain arrays). */
export type StoredMeasurement = {
  groups: ByGroup<StoredGroup>;
  weeks: [string, ByGroup<{ every: number; target: number }>][];
  reasons: [string, ByGroup<number>][];
};

export type Measured = {
  measurement: CampaignMeasurement;
  /** The observational estimate, for a campaign without a holdout. */
  observational: ObservationalEstimate | null;
  /** When the measurement was taken: its window runs to then, or to its end. */
  measuredAt: Date;
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
    moments: Float64Array.from(g.moments),
  });
  return {
    groups: { treated: group(s.groups.treated), holdout: group(s.groups.holdout) },
    weeks: new Map(s.weeks),
    reasons: new Map(s.reasons),
  };
};

/**
 * The `measure-campaigns` job: every published campaign that has started and was not measured
 * 30 days or more after its window closed, measured to now (to its window's end once closed)
 * and stored with its observational estimate, a chunk of campaigns per statement.
 */
export async function measureAndStore(deps: Deps, now: Date): Promise<number> {
  const windowDays = deps.config.impactWindowDays;
  const settledAfter = `${windowDays + SETTLED_DAYS} days`;
  const rows = await deps.db
    .select()
    .from(campaigns)
    .where(
      and(
        publishedCampaign,
        // Not yet measured once settled (an open-ended campaign never is).
        sql`not exists (select 1 from campaign_measurements m
          where m.campaign_id = ${campaigns.id}
            and m.measured_at >= ${campaigns.endsAt} + ${settledAfter}::interval)`,
      ),
    );
  const started = rows.filter((row) => row.startsAt && row.startsAt < now);
  if (started.length === 0) return 0;
  await catchUpForMeasurement(deps);
  for (let i = 0; i < started.length; i += CHUNK) {
    const chunk = started.slice(i, i + CHUNK);
    const windows = new Map(chunk.map((row) => [row.id, measurementWindow(row, now, windowDays)]));
    const measured = await measureCampaigns(
      deps.db,
      chunk.map((row) => ({
        id: row.id,
        targetReasons: row.targetReasons,
        windowEnd: windows.get(row.id)?.end ?? now,
      })),
      deps.config.workspaceTimeZone,
    );
    const values = [];
    for (const row of chunk) {
      const measurement = measured.get(row.id);
      const window = windows.get(row.id);
      if (!measurement || !window) continue;
      values.push({
        campaignId: row.id,
        windowEnd: window.end,
        measuredAt: now,
        measurement: stored(measurement),
        observational:
          row.holdoutPercent === 0 ? await observationalImpact(deps, row, window.end) : null,
      });
    }
    if (values.length === 0) continue;
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
        },
      });
  }
  return started.length;
}

/**
 * Stored measurements a reader may use at `now` in place of measuring: taken after the
 * campaign last changed, and either current (younger than two job runs) or final and settled
 * (taken 30 days or more after the window closed).
 */
export async function usableMeasurements(
  deps: Deps,
  rows: CampaignRow[],
  now: Date,
): Promise<Map<string, Measured>> {
  if (rows.length === 0) return new Map();
  const byId = new Map(rows.map((row) => [row.id, row]));
  const found = await deps.db
    .select()
    .from(campaignMeasurements)
    .where(inArray(campaignMeasurements.campaignId, [...byId.keys()]));
  const windowDays = deps.config.impactWindowDays;
  const usable = new Map<string, Measured>();
  for (const entry of found) {
    const row = byId.get(entry.campaignId);
    if (!row || row.updatedAt > entry.measuredAt) continue;
    const window = measurementWindow(row, entry.measuredAt, windowDays);
    if (window.end.getTime() !== entry.windowEnd.getTime()) continue;
    const current = now.getTime() - entry.measuredAt.getTime() <= MEASUREMENT_MAX_AGE_MS;
    const settled =
      window.measurement === 'final' &&
      entry.measuredAt.getTime() - window.end.getTime() >= SETTLED_DAYS * DAY_MS;
    if (!current && !settled) continue;
    usable.set(row.id, {
      measurement: revived(entry.measurement),
      observational: entry.observational ?? null,
      measuredAt: entry.measuredAt,
    });
  }
  return usable;
}
