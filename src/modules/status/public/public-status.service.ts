import { formatInTimeZone } from 'date-fns-tz';
import { and, asc, desc, eq, gt, inArray, isNull, ne, or } from 'drizzle-orm';
import {
  type IncidentRow,
  incidentComponents,
  incidents,
  incidentUpdates,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { componentsShownAt, type ShownComponents } from '../components.service';
import { automaticTransitions, incidentStatusAt, pageIndicator } from '../status-clock';
import { incidentUrl } from '../status-links';
import type { StatuspageComponent } from '../status-schemas';

/** The public status in Statuspage API v2 shapes (field names, enums, nesting). */

const PAGE_ID = 'forestall';
const RECENT = 50;
/**
 * `page.updated_at` of a page where nothing was ever recorded. A fixed instant, not "now":
 * every answer is validated by the hash of its bytes, and a page that has not changed must
 * keep its ETag (and earn its 304) on every instance and at every moment.
 */
export const NEVER_UPDATED = new Date(0).toISOString();

export type StatuspageIncident = ReturnType<typeof toIncidentJson>;

export async function publicStatus(deps: Deps) {
  const now = deps.clock.now();
  const [shown, incidentRows, maintenanceRows] = await Promise.all([
    componentsShownAt(deps.db, now),
    recent(deps, 'incident', now),
    recent(deps, 'maintenance', now),
  ]);
  const components = toComponentsJson(shown, deps.config.workspaceTimeZone);
  const all = await toIncidentsJson(deps, [...incidentRows, ...maintenanceRows], now, components);
  const incidentsJson = all.slice(0, incidentRows.length);
  const maintenancesJson = all.slice(incidentRows.length);
  const unresolved = incidentsJson.filter((i) => i.status !== 'resolved');
  const upcoming = maintenancesJson.filter((m) => m.status === 'scheduled');
  const active = maintenancesJson.filter((m) => ['in_progress', 'verifying'].includes(m.status));
  const updatedAt = [
    ...components.map((c) => c.updated_at),
    ...incidentsJson.map((i) => i.updated_at),
    ...maintenancesJson.map((m) => m.updated_at),
  ]
    .sort()
    .at(-1);
  const page = {
    id: PAGE_ID,
    name: deps.config.statusPageName,
    url: `${deps.config.publicUrl}/status`,
    time_zone: deps.config.workspaceTimeZone,
    updated_at: updatedAt ?? NEVER_UPDATED,
  };
  const status = pageIndicator(
    components.filter((c) => !c.group).map((c) => c.status),
    unresolved.map((i) => i.impact),
  );
  return {
    page,
    status,
    components,
    incidents: incidentsJson,
    unresolved,
    scheduledMaintenances: maintenancesJson,
    upcoming,
    active,
  };
}

export type PublicStatus = Awaited<ReturnType<typeof publicStatus>>;

/** One incident or maintenance (of `kind`, or either), however old, in the public shape. */
export async function incidentJsonById(
  deps: Deps,
  id: string,
  kind?: 'incident' | 'maintenance',
  known?: PublicStatus,
) {
  const status = known ?? (await publicStatus(deps));
  const lists = {
    incident: status.incidents,
    maintenance: status.scheduledMaintenances,
  };
  const candidates = kind ? lists[kind] : [...lists.incident, ...lists.maintenance];
  const listed = candidates.find((i) => i.id === id);
  if (listed) return listed;
  const [row] = await deps.db.select().from(incidents).where(eq(incidents.id, id));
  if (!row || (kind && row.kind !== kind)) return undefined;
  const [json] = await toIncidentsJson(deps, [row], deps.clock.now(), status.components);
  return json;
}

/**
 * Incidents or maintenances in the public shape, their updates and components read for all of
 * them at once; `components` are the page's, as `componentsJson` gives them.
 */
export async function toIncidentsJson(
  deps: Deps,
  rows: IncidentRow[],
  now: Date,
  components: StatuspageComponent[],
): Promise<StatuspageIncident[]> {
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return [];
  const [updates, links] = await Promise.all([
    deps.db
      .select()
      .from(incidentUpdates)
      .where(inArray(incidentUpdates.incidentId, ids))
      .orderBy(desc(incidentUpdates.createdAt), desc(incidentUpdates.id)),
    deps.db.select().from(incidentComponents).where(inArray(incidentComponents.incidentId, ids)),
  ]);
  const linkedTo = new Map<string, Set<string>>();
  for (const l of links)
    linkedTo.set(l.incidentId, (linkedTo.get(l.incidentId) ?? new Set()).add(l.componentId));
  // In page order, as components.json lists them: the links' own order is the table's.
  return rows.map((row) =>
    toIncidentJson(
      incidentUrl(deps, row.id),
      row,
      now,
      updates.filter((u) => u.incidentId === row.id),
      components.filter((c) => linkedTo.get(row.id)?.has(c.id)),
    ),
  );
}

/** The page's components as the public API shows them at `now`. */
export async function componentsJson(deps: Deps, now: Date): Promise<StatuspageComponent[]> {
  return toComponentsJson(await componentsShownAt(deps.db, now), deps.config.workspaceTimeZone);
}

/**
 * The 50 latest of a kind and, however old, every one not finished yet: as Statuspage's
 * incidents.json includes all unresolved incidents, so an outage left open behind 50 newer
 * ones still counts in unresolved.json, the summary and the page's indicator.
 */
async function recent(deps: Deps, kind: 'incident' | 'maintenance', now: Date) {
  const unfinished =
    kind === 'incident'
      ? ne(incidents.status, 'resolved')
      : and(
          ne(incidents.status, 'completed'),
          or(
            eq(incidents.autoTransition, false),
            isNull(incidents.scheduledUntil),
            gt(incidents.scheduledUntil, now),
          ),
        );
  const newestFirst = [desc(incidents.createdAt), asc(incidents.id)] as const;
  const [latest, open] = await Promise.all([
    deps.db
      .select()
      .from(incidents)
      .where(eq(incidents.kind, kind))
      .orderBy(...newestFirst)
      .limit(RECENT),
    deps.db
      .select()
      .from(incidents)
      .where(and(eq(incidents.kind, kind), unfinished))
      .orderBy(...newestFirst),
  ]);
  const listed = new Set(latest.map((row) => row.id));
  const older = open.filter((row) => !listed.has(row.id));
  return [...latest, ...older];
}

/**
 * `start_date` is the day a component was created, in the page's time zone (groups have none,
 * as in Statuspage): its uptime counts from then.
 */
function toComponentsJson(
  { rows, statuses }: ShownComponents,
  zone: string,
): StatuspageComponent[] {
  return rows.map((row) => {
    const members = rows.filter((r) => r.groupId === row.id);
    return {
      id: row.id,
      name: row.name,
      status: statuses.get(row.id) ?? row.status,
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
      position: row.position,
      description: row.description,
      showcase: !row.onlyShowIfDegraded,
      start_date: row.isGroup ? null : formatInTimeZone(row.createdAt, zone, 'yyyy-MM-dd'),
      group_id: row.groupId,
      page_id: PAGE_ID,
      group: row.isGroup,
      only_show_if_degraded: row.onlyShowIfDegraded,
      ...(row.isGroup ? { components: members.map((m) => m.id) } : {}),
    };
  });
}

function toIncidentJson(
  shortlink: string,
  row: IncidentRow,
  now: Date,
  updates: (typeof incidentUpdates.$inferSelect)[],
  components: StatuspageComponent[],
) {
  const status = incidentStatusAt(row, now);
  const clockUpdates = automaticTransitions(row, now).map((t, i) => ({
    id: `${row.id}-auto-${i}`,
    status: t.status,
    body: t.body,
    incident_id: row.id,
    created_at: t.at.toISOString(),
    updated_at: t.at.toISOString(),
    display_at: t.at.toISOString(),
    affected_components: [],
    deliver_notifications: true,
    custom_tweet: null,
    tweet_id: null,
  }));
  const posted = updates.map((u) => ({
    id: u.id,
    status: u.status,
    body: u.body,
    incident_id: row.id,
    created_at: u.createdAt.toISOString(),
    updated_at: u.createdAt.toISOString(),
    display_at: u.createdAt.toISOString(),
    affected_components: u.affectedComponents,
    deliver_notifications: true,
    custom_tweet: null,
    tweet_id: null,
  }));
  const incidentUpdatesJson = [...clockUpdates, ...posted].sort((a, b) =>
    b.display_at.localeCompare(a.display_at),
  );
  const lastClockChange = clockUpdates
    .map((u) => u.created_at)
    .sort()
    .at(-1);
  const updatedAt = [row.updatedAt.toISOString(), lastClockChange ?? ''].sort().at(-1) ?? '';
  const resolvedAt =
    row.resolvedAt?.toISOString() ??
    (status === 'completed' ? (row.scheduledUntil?.toISOString() ?? null) : null);
  return {
    id: row.id,
    name: row.name,
    status,
    created_at: row.createdAt.toISOString(),
    updated_at: updatedAt,
    monitoring_at: row.monitoringAt?.toISOString() ?? null,
    resolved_at: resolvedAt,
    impact: row.impact,
    shortlink,
    started_at: (row.scheduledFor ?? row.createdAt).toISOString(),
    page_id: PAGE_ID,
    incident_updates: incidentUpdatesJson,
    components,
    ...(row.kind === 'maintenance'
      ? {
          scheduled_for: row.scheduledFor?.toISOString() ?? null,
          scheduled_until: row.scheduledUntil?.toISOString() ?? null,
        }
      : {}),
  };
}
