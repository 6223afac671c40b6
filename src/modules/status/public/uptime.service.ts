import { addDays } from 'date-fns';
import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { asc, between, desc, eq, lt } from 'drizzle-orm';
import { type ComponentStatus, componentStatusChanges, statusComponents } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { worstStatus } from '../status-clock';
import type { ComponentUptime, UptimeDay, UptimeHistory } from '../status-schemas';
import { incidentSpans, maintenanceSpans, type StatusSpan } from './status-spans';

export const UPTIME_DAYS = 90;

/**
 * Observed time below which no percentage is given: a share of a few minutes says nothing of
 * the component's uptime, yet is read as one over the days the page shows.
 */
export const MIN_OBSERVED_MS = 86_400_000;

/**
 * Statuspage's weighting: a major outage is downtime, a partial outage counts for 30% of it.
 * Time under maintenance, like degraded performance, is observed time that is not downtime.
 */
const DOWNTIME_WEIGHT: Partial<Record<ComponentStatus, number>> = {
  major_outage: 1,
  partial_outage: 0.3,
};

type Change = { component_id: string; status: ComponentStatus; changed_at: Date };
type ComponentRow = { id: string; name: string; created_at: Date };

/** Calendar arithmetic on `yyyy-MM-dd` labels, in UTC whatever the server's own zone. */
const dayAfter = (day: string, days: number) =>
  formatInTimeZone(addDays(new Date(`${day}T12:00:00Z`), days), 'UTC', 'yyyy-MM-dd');

/**
 * Per component, one entry per day of the last `UPTIME_DAYS` days in the workspace zone, from
 * the recorded status changes and the maintenance windows: the worst status of the day,
 * minutes in each status and the incidents and maintenance that touched it while open or
 * under way (`status-spans`). An operational
 * component inside a maintenance in progress counts as `under_maintenance`, as the live page
 * shows it (a worse status recorded meanwhile stays what it was). Bounded by the window,
 * whatever the length of the history.
 */
export async function uptimeHistory(deps: Deps): Promise<UptimeHistory> {
  const zone = deps.config.workspaceTimeZone;
  const now = deps.clock.now();
  const today = formatInTimeZone(now, zone, 'yyyy-MM-dd');
  const first = dayAfter(today, 1 - UPTIME_DAYS);
  const dates = Array.from({ length: UPTIME_DAYS }, (_, i) => dayAfter(first, i));
  const bounds = [...dates, dayAfter(today, 1)].map((date) =>
    fromZonedTime(`${date}T00:00:00`, zone).getTime(),
  );
  const start = new Date(bounds[0] ?? now.getTime());
  const [components, changes, spans, maintenance] = await Promise.all([
    componentRows(deps),
    changesSince(deps, start, now),
    incidentSpans(deps, start, now),
    maintenanceSpans(deps, start, now),
  ]);
  return {
    time_zone: zone,
    from: first,
    to: today,
    components: components.map((component) =>
      componentDays(
        component,
        changes.filter((c) => c.component_id === component.id),
        spans.filter((s) => s.component_id === component.id),
        maintenance.filter((m) => m.component_id === component.id),
        dates,
        bounds,
        now.getTime(),
        zone,
      ),
    ),
  };
}

/** Intervals made disjoint and sorted, so the time they cover is counted once. */
function merged(intervals: { from: number; to: number }[]): { from: number; to: number }[] {
  const sorted = [...intervals].sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const interval of sorted) {
    const last = out.at(-1);
    if (last && interval.from <= last.to) last.to = Math.max(last.to, interval.to);
    else out.push({ ...interval });
  }
  return out;
}

const coveredBy = (from: number, to: number, intervals: { from: number; to: number }[]) =>
  intervals.reduce((sum, i) => sum + Math.max(0, Math.min(to, i.to) - Math.max(from, i.from)), 0);

function componentDays(
  component: ComponentRow,
  changes: Change[],
  spans: StatusSpan[],
  maintenance: StatusSpan[],
  dates: string[],
  bounds: number[],
  now: number,
  zone: string,
): ComponentUptime {
  const born = component.created_at.getTime();
  const segments = changes.map((change, i) => ({
    status: change.status,
    from: Math.max(change.changed_at.getTime(), born),
    to: Math.min(changes[i + 1]?.changed_at.getTime() ?? now, now),
  }));
  const underWay = merged(maintenance);
  let observed = 0;
  let down = 0;
  const days = dates.map((date, i): UptimeDay => {
    const dayStart = Math.max(bounds[i] ?? 0, born);
    const dayEnd = Math.min(bounds[i + 1] ?? 0, now);
    if (dayEnd <= dayStart) {
      return { date, status: null, minutes: {}, incidents: [], maintenance: [] };
    }
    const minutes = new Map<ComponentStatus, number>();
    const add = (status: ComponentStatus, ms: number) => {
      if (ms > 0) minutes.set(status, (minutes.get(status) ?? 0) + ms / 60_000);
    };
    for (const segment of segments) {
      const from = Math.max(segment.from, dayStart);
      const to = Math.min(segment.to, dayEnd);
      if (to <= from) continue;
      const maintained = segment.status === 'operational' ? coveredBy(from, to, underWay) : 0;
      add(segment.status, to - from - maintained);
      add('under_maintenance', maintained);
      down += (to - from) * (DOWNTIME_WEIGHT[segment.status] ?? 0);
    }
    observed += dayEnd - dayStart;
    // Once each, however many of its intervals the day holds.
    const touching = (of: StatusSpan[]) =>
      [
        ...new Map(of.filter((s) => s.from < dayEnd && s.to > dayStart).map((s) => [s.id, s.name])),
      ].map(([id, name]) => ({ id, name }));
    return {
      date,
      status: worstStatus([...minutes.keys()]),
      minutes: Object.fromEntries([...minutes].map(([s, m]) => [s, Math.round(m)])),
      incidents: touching(spans),
      maintenance: touching(maintenance),
    };
  });
  const uptime =
    observed >= MIN_OBSERVED_MS ? Math.round(10_000 * (1 - down / observed)) / 100 : null;
  const since =
    born <= (bounds[0] ?? 0)
      ? dates[0]
      : formatInTimeZone(component.created_at, zone, 'yyyy-MM-dd');
  return {
    id: component.id,
    name: component.name,
    uptime_percent: uptime,
    since: since ?? '',
    observed_minutes: Math.floor(observed / 60_000),
    days,
  };
}

async function componentRows(deps: Deps): Promise<ComponentRow[]> {
  return deps.db
    .select({
      id: statusComponents.id,
      name: statusComponents.name,
      created_at: statusComponents.createdAt,
    })
    .from(statusComponents)
    .where(eq(statusComponents.isGroup, false))
    .orderBy(asc(statusComponents.position), asc(statusComponents.name));
}

const changeColumns = {
  component_id: componentStatusChanges.componentId,
  status: componentStatusChanges.status,
  changed_at: componentStatusChanges.changedAt,
};

/** The status each component had when the window opened, and every change after. */
async function changesSince(deps: Deps, start: Date, now: Date): Promise<Change[]> {
  const [before, within] = await Promise.all([
    deps.db
      .selectDistinctOn([componentStatusChanges.componentId], changeColumns)
      .from(componentStatusChanges)
      .where(lt(componentStatusChanges.changedAt, start))
      .orderBy(componentStatusChanges.componentId, desc(componentStatusChanges.changedAt)),
    deps.db
      .select(changeColumns)
      .from(componentStatusChanges)
      .where(between(componentStatusChanges.changedAt, start, now))
      .orderBy(asc(componentStatusChanges.changedAt)),
  ]);
  return [...before, ...within];
}
