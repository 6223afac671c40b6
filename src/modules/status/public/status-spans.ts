import { and, asc, eq, gte, inArray, isNull, lte, or } from 'drizzle-orm';
import {
  type IncidentRow,
  incidentComponents,
  incidents,
  incidentUpdates,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { automaticTransitions } from '../status-clock';

/**
 * A stretch of time a component spent inside an incident while it was open, or inside a
 * maintenance while it was under way.
 */
export type StatusSpan = {
  id: string;
  name: string;
  component_id: string;
  from: number;
  to: number;
};

type Interval = { from: number; to: number };
type Timeline = { status: string; at: Date }[];

/** The states in which a maintenance puts its components under maintenance, as shown live. */
const UNDER_WAY = new Set(['in_progress', 'verifying']);

/** When a timeline was in a state `within` accepts; the last interval ends at `now`. */
function intervalsWhile(timeline: Timeline, within: (status: string) => boolean, now: Date) {
  const sorted = timeline
    .map((event) => ({ status: event.status, at: event.at.getTime() }))
    .sort((a, b) => a.at - b.at);
  const intervals: Interval[] = [];
  let since: number | undefined;
  for (const { status, at } of sorted) {
    if (within(status)) since ??= at;
    else if (since !== undefined) {
      intervals.push({ from: since, to: at });
      since = undefined;
    }
  }
  if (since !== undefined) intervals.push({ from: since, to: now.getTime() });
  return intervals;
}

/**
 * When a maintenance was under way, from its status over time: the updates ops and the clock
 * recorded, then what the clock has done since and not yet recorded (`automaticTransitions`),
 * so the history agrees with what the page shows now. Pure; ends at `now` if still under way.
 */
function underWayIntervals(row: IncidentRow, updates: Timeline, now: Date): Interval[] {
  const timeline = [...updates, ...automaticTransitions(row, now)];
  return intervalsWhile(timeline, (status) => UNDER_WAY.has(status), now).filter(
    (interval) => interval.to > interval.from,
  );
}

/**
 * When an incident was open: from its creation to its resolution, and again from each update
 * that reopened it, so the days between a resolution and a reopening are not its days. Pure;
 * ends at `now` if still open.
 */
function openIntervals(row: IncidentRow, updates: Timeline, now: Date): Interval[] {
  const timeline = [
    { status: 'opened', at: row.createdAt },
    ...updates,
    ...(row.resolvedAt ? [{ status: 'resolved', at: row.resolvedAt }] : []),
  ];
  return intervalsWhile(timeline, (status) => status !== 'resolved', now);
}

/** Incidents or maintenances of `kind` open at some moment of `[start, now]`. */
const openWithin = (kind: 'incident' | 'maintenance', start: Date, now: Date) =>
  and(
    eq(incidents.kind, kind),
    lte(incidents.createdAt, now),
    or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, start)),
  );

/** Per linked component, when each incident touching `[start, now]` was open. */
export const incidentSpans = (deps: Deps, start: Date, now: Date) =>
  linkedSpans(deps, 'incident', start, now, openIntervals);

/** Per linked component, when each maintenance touching `[start, now]` was under way. */
export const maintenanceSpans = (deps: Deps, start: Date, now: Date) =>
  linkedSpans(deps, 'maintenance', start, now, underWayIntervals);

async function linkedSpans(
  deps: Deps,
  kind: 'incident' | 'maintenance',
  start: Date,
  now: Date,
  intervalsOf: (row: IncidentRow, updates: Timeline, now: Date) => Interval[],
): Promise<StatusSpan[]> {
  const linked = await deps.db
    .select({ row: incidents, componentId: incidentComponents.componentId })
    .from(incidents)
    .innerJoin(incidentComponents, eq(incidentComponents.incidentId, incidents.id))
    .where(openWithin(kind, start, now))
    .orderBy(asc(incidents.createdAt), asc(incidents.id));
  if (linked.length === 0) return [];
  const rows = new Map(linked.map((link) => [link.row.id, link.row]));
  const updates = await deps.db
    .select({
      incidentId: incidentUpdates.incidentId,
      status: incidentUpdates.status,
      at: incidentUpdates.createdAt,
    })
    .from(incidentUpdates)
    .where(
      and(
        inArray(incidentUpdates.incidentId, [...rows.keys()]),
        lte(incidentUpdates.createdAt, now),
      ),
    )
    .orderBy(asc(incidentUpdates.createdAt), asc(incidentUpdates.id));
  const updatesOf = new Map<string, Timeline>();
  for (const update of updates) {
    const own = updatesOf.get(update.incidentId);
    if (own) own.push(update);
    else updatesOf.set(update.incidentId, [update]);
  }
  const intervals = new Map(
    [...rows].map(([id, row]) => [id, intervalsOf(row, updatesOf.get(id) ?? [], now)]),
  );
  return linked.flatMap(({ row, componentId }) =>
    (intervals.get(row.id) ?? []).map((interval) => ({
      id: row.id,
      name: row.name,
      component_id: componentId,
      ...interval,
    })),
  );
}
