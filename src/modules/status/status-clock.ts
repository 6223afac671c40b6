import {
  type ComponentStatus,
  type IncidentRow,
  MAINTENANCE_STATUSES,
  type MaintenanceStatus,
  type StatusComponentRow,
} from '../../db/schema';

/** A maintenance's stored status (the column holds incidents' statuses too). */
function storedMaintenanceStatus(row: IncidentRow): MaintenanceStatus {
  const stored = MAINTENANCE_STATUSES.find((status) => status === row.status);
  if (!stored) throw new Error(`maintenance ${row.id} has the status ${row.status}`);
  return stored;
}

/**
 * Scheduled maintenance moves by the clock: in progress from `scheduled_for`, completed at
 * `scheduled_until`, unless ops turned `auto_transition` off or already posted a later state.
 */
export function maintenanceStatus(row: IncidentRow, now: Date): MaintenanceStatus {
  const stored = storedMaintenanceStatus(row);
  if (stored === 'completed' || !row.autoTransition) return stored;
  if (row.scheduledUntil && row.scheduledUntil <= now) return 'completed';
  if (stored === 'scheduled' && row.scheduledFor && row.scheduledFor <= now) return 'in_progress';
  return stored;
}

export function incidentStatusAt(row: IncidentRow, now: Date): string {
  return row.kind === 'maintenance' ? maintenanceStatus(row, now) : row.status;
}

/** When the clock, not ops, moved a maintenance: shown as updates like Statuspage does. */
export function automaticTransitions(
  row: IncidentRow,
  now: Date,
): { status: MaintenanceStatus; at: Date; body: string }[] {
  if (row.kind !== 'maintenance' || !row.autoTransition) return [];
  const transitions: { status: MaintenanceStatus; at: Date; body: string }[] = [];
  const stored = storedMaintenanceStatus(row);
  if (stored === 'scheduled' && row.scheduledFor && row.scheduledFor <= now) {
    transitions.push({
      status: 'in_progress',
      at: row.scheduledFor,
      body: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
    });
  }
  if (stored !== 'completed' && row.scheduledUntil && row.scheduledUntil <= now) {
    transitions.push({
      status: 'completed',
      at: row.scheduledUntil,
      body: 'The scheduled maintenance has been completed.',
    });
  }
  return transitions;
}

/** A component under a maintenance in progress shows `under_maintenance` unless it is worse. */
function componentStatusAt(
  component: StatusComponentRow,
  inMaintenance: Set<string>,
): ComponentStatus {
  if (component.status === 'operational' && inMaintenance.has(component.id)) {
    return 'under_maintenance';
  }
  return component.status;
}

/**
 * The status each component shows, by id: what ops set, `under_maintenance` during a
 * maintenance in progress, and for a group the worst of its members. Every view of a
 * component (ops API, console, public API, status page, webhooks) reads this one answer.
 */
export function shownComponentStatuses(
  rows: StatusComponentRow[],
  inMaintenance: Set<string>,
): Map<string, ComponentStatus> {
  const shown = new Map(
    rows.filter((r) => !r.isGroup).map((r) => [r.id, componentStatusAt(r, inMaintenance)]),
  );
  for (const group of rows.filter((r) => r.isGroup)) {
    const members = rows.filter((r) => r.groupId === group.id);
    shown.set(group.id, worstStatus(members.map((m) => shown.get(m.id) ?? 'operational')));
  }
  return shown;
}

const SEVERITY: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/** A group shows the worst status of its members. */
export function worstStatus(statuses: ComponentStatus[]): ComponentStatus {
  return statuses.reduce<ComponentStatus>(
    (worst, status) => (SEVERITY[status] > SEVERITY[worst] ? status : worst),
    'operational',
  );
}

/** Statuspage's page indicator and its wording. */
export function pageIndicator(
  componentStatuses: ComponentStatus[],
  unresolvedImpacts: string[],
): { indicator: 'none' | 'minor' | 'major' | 'critical'; description: string } {
  const rank = { none: 0, minor: 1, major: 2, critical: 3 } as const;
  let indicator: keyof typeof rank = 'none';
  const raise = (to: keyof typeof rank) => {
    if (rank[to] > rank[indicator]) indicator = to;
  };
  for (const status of componentStatuses) {
    if (status === 'degraded_performance') raise('minor');
    if (status === 'partial_outage') raise('major');
    if (status === 'major_outage') raise('critical');
  }
  for (const impact of unresolvedImpacts) {
    if (impact === 'minor' || impact === 'major' || impact === 'critical') raise(impact);
  }
  const maintenance = componentStatuses.includes('under_maintenance');
  const description = {
    none: maintenance ? 'Service Under Maintenance' : 'All Systems Operational',
    minor: 'Minor Service Outage',
    major: 'Partial System Outage',
    critical: 'Major Service Outage',
  }[indicator];
  return { indicator, description };
}
