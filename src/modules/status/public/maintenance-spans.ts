import { and, asc, eq, gte, inArray, isNull, lte, or } from 'drizzle-orm';
import {
  type IncidentRow,
  incidentComponents,
  incidents,
  incidentUpdates,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { automaticTransitions } from '../status-clock';

/** A stretch of time a component spent inside a maintenance window in progress. */
export type MaintenanceSpan = {
  id: string;
  name: string;
  component_id: string;
  from: number;
  to: number;
};

/** The states in which a maintenance puts its components under maintenance, as shown live. */
const UNDER_WAY = new Set(['in_progress', 'verifying']);

/**
 * When a maintenance was under way, from its status over time: the updates ops and the clock
 * recorded, then what the clock has done since and not yet recorded (`automaticTransitions`),
 * so the history agrees with what the page shows now. Pure; ends at `now` if still under way.
 */
export function underWayIntervals(
  row: IncidentRow,
  updates: { status: string; at: Date }[],
  now: Date,
): { from: number; to: number }[] {
  const timeline = [...updates, ...automaticTransitions(row, now)]
    .map((update) => ({ status: update.status, at: update.at.getTime() }))
    .sort((a, b) => a.at - b.at);
  const intervals: { from: number; to: number }[] = [];
  let since: number | undefined;
  for (const { status, at } of timeline) {
    if (UNDER_WAY.has(status)) since ??= at;
    else if (since !== undefined) {
      intervals.push({ from: since, to: at });
      since = undefined;
    }
  }
  if (since !== undefined) intervals.push({ from: since, to: now.getTime() });
  return intervals.filter((interval) => interval.to > interval.from);
}

/** Incidents or maintenances of `kind` open at some moment of `[start, now]`. */
export const openWithin = (kind: 'incident' | 'maintenance', start: Date, now: Date) =>
  and(
    eq(incidents.kind, kind),
    lte(incidents.createdAt, now),
    or(isNull(incidents.resolvedAt), gte(incidents.resolvedAt, start)),
  );

/** Per linked component, when each maintenance touching `[start, now]` was under way. */
export async function maintenanceSpans(
  deps: Deps,
  start: Date,
  now: Date,
): Promise<MaintenanceSpan[]> {
  const linked = await deps.db
    .select({ maintenance: incidents, componentId: incidentComponents.componentId })
    .from(incidents)
    .innerJoin(incidentComponents, eq(incidentComponents.incidentId, incidents.id))
    .where(openWithin('maintenance', start, now));
  if (linked.length === 0) return [];
  const rows = new Map(linked.map((link) => [link.maintenance.id, link.maintenance]));
  const ids = [...rows.keys()];
  const updates = await deps.db
    .select({
      incidentId: incidentUpdates.incidentId,
      status: incidentUpdates.status,
      at: incidentUpdates.createdAt,
    })
    .from(incidentUpdates)
    .where(and(inArray(incidentUpdates.incidentId, ids), lte(incidentUpdates.createdAt, now)))
    .orderBy(asc(incidentUpdates.createdAt), asc(incidentUpdates.id));
  const updatesOf = new Map<string, typeof updates>();
  for (const update of updates) {
    const own = updatesOf.get(update.incidentId);
    if (own) own.push(update);
    else updatesOf.set(update.incidentId, [update]);
  }
  const intervalsOf = new Map(
    [...rows].map(([id, row]) => [id, underWayIntervals(row, updatesOf.get(id) ?? [], now)]),
  );
  return linked.flatMap(({ maintenance, componentId }) =>
    (intervalsOf.get(maintenance.id) ?? []).map((interval) => ({
      id: maintenance.id,
      name: maintenance.name,
      component_id: componentId,
      ...interval,
    })),
  );
}
