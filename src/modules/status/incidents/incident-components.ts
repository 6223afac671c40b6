import { and, asc, desc, eq, inArray, isNull, ne, or } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import {
  type AffectedComponent,
  type ComponentStatus,
  incidentComponents,
  incidents,
  incidentUpdates,
  type StatusComponentRow,
  statusComponents,
} from '../../../db/schema';
import { invalidInput } from './incident-records';

export type ComponentChange = { id: string; status: ComponentStatus };

type Named = { group: boolean; components: StatusComponentRow[] };

/**
 * Locks the named components and the components of the named groups (in id order) and gives,
 * by named id, what it stands for: a component itself; a group, every component in it at this
 * moment, as ticking a group does in Statuspage. Unknown ids and empty groups are refused the
 * same way whether an incident or a maintenance names them.
 */
async function resolveComponents(db: Db, ids: string[]): Promise<Map<string, Named>> {
  const rows = await db
    .select()
    .from(statusComponents)
    .where(or(inArray(statusComponents.id, ids), inArray(statusComponents.groupId, ids)))
    .orderBy(asc(statusComponents.id))
    .for('update');
  const named = new Map<string, Named>();
  const missing: string[] = [];
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (!row) missing.push(id);
    else if (!row.isGroup) named.set(id, { group: false, components: [row] });
    else {
      const components = rows.filter((r) => r.groupId === id);
      if (components.length === 0) {
        throw invalidInput('components', `the group ${row.name} has no components to affect`);
      }
      named.set(id, { group: true, components });
    }
  }
  if (missing.length > 0) {
    throw invalidInput('components', `no component or group has id ${missing.join(', ')}`);
  }
  return named;
}

async function link(db: Db, incidentId: string, componentIds: Iterable<string>) {
  const values = [...new Set(componentIds)].map((componentId) => ({ incidentId, componentId }));
  if (values.length === 0) return;
  await db.insert(incidentComponents).values(values).onConflictDoNothing();
}

/** Links the named components (a group: its components) to the incident or maintenance. */
export async function linkComponents(db: Db, incidentId: string, ids: string[]) {
  if (ids.length === 0) return;
  const named = await resolveComponents(db, ids);
  const components = [...named.values()].flatMap((n) => n.components);
  await link(
    db,
    incidentId,
    components.map((c) => c.id),
  );
}

/**
 * Sets each named component's status (a group's: each of its components', unless a component
 * is also named with a status of its own) and links it to the incident; returns what changed,
 * and every component given a status (changed or not).
 */
export async function setComponentStatuses(
  db: Db,
  incidentId: string,
  changes: ComponentChange[],
  now: Date,
): Promise<{ affected: AffectedComponent[]; set: Set<string> }> {
  if (changes.length === 0) return { affected: [], set: new Set() };
  const named = await resolveComponents(
    db,
    changes.map((c) => c.id),
  );
  const targets = new Map<string, { row: StatusComponentRow; status: ComponentStatus }>();
  // Groups first: a component named on its own keeps its own status.
  const isGroup = (change: ComponentChange) => named.get(change.id)?.group ?? false;
  for (const change of [...changes.filter(isGroup), ...changes.filter((c) => !isGroup(c))]) {
    for (const row of named.get(change.id)?.components ?? []) {
      targets.set(row.id, { row, status: change.status });
    }
  }
  await link(db, incidentId, targets.keys());
  const affected: AffectedComponent[] = [];
  for (const { row, status } of targets.values()) {
    if (row.status === status) continue;
    await db
      .update(statusComponents)
      .set({ status, updatedAt: now })
      .where(eq(statusComponents.id, row.id));
    affected.push({ code: row.id, name: row.name, old_status: row.status, new_status: status });
  }
  return { affected, set: new Set(targets.keys()) };
}

/**
 * On resolution, components go back to operational unless another open incident holds them
 * or the resolving update gave them a status of its own (`keep`).
 */
export async function restoreComponents(
  db: Db,
  incidentId: string,
  now: Date,
  keep: ReadonlySet<string> = new Set(),
): Promise<AffectedComponent[]> {
  const linked = await db
    .select({ component: statusComponents })
    .from(incidentComponents)
    .innerJoin(statusComponents, eq(statusComponents.id, incidentComponents.componentId))
    .where(eq(incidentComponents.incidentId, incidentId));
  const affected: AffectedComponent[] = [];
  for (const { component } of linked) {
    if (component.status === 'operational' || keep.has(component.id)) continue;
    const [heldElsewhere] = await db
      .select({ id: incidents.id })
      .from(incidentComponents)
      .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
      .where(
        and(
          eq(incidentComponents.componentId, component.id),
          ne(incidents.id, incidentId),
          eq(incidents.kind, 'incident'),
          isNull(incidents.resolvedAt),
        ),
      );
    if (heldElsewhere) continue;
    await db
      .update(statusComponents)
      .set({ status: 'operational', updatedAt: now })
      .where(eq(statusComponents.id, component.id));
    affected.push({
      code: component.id,
      name: component.name,
      old_status: component.status,
      new_status: 'operational',
    });
  }
  return affected;
}

/**
 * On reopening, the components the resolution gave back (operational since) return to the
 * status they had when it did, unless the reopening update gave them a status of its own
 * (`keep`): the problem is back, and so is what the page said about it.
 */
export async function reinstateComponents(
  db: Db,
  incidentId: string,
  now: Date,
  keep: ReadonlySet<string>,
): Promise<AffectedComponent[]> {
  const [resolution] = await db
    .select({ affected: incidentUpdates.affectedComponents })
    .from(incidentUpdates)
    .where(and(eq(incidentUpdates.incidentId, incidentId), eq(incidentUpdates.status, 'resolved')))
    .orderBy(desc(incidentUpdates.createdAt), desc(incidentUpdates.id))
    .limit(1);
  const restored = (resolution?.affected ?? []).filter(
    (a) => a.new_status === 'operational' && a.old_status !== 'operational' && !keep.has(a.code),
  );
  if (restored.length === 0) return [];
  const rows = await db
    .select()
    .from(statusComponents)
    .where(
      inArray(
        statusComponents.id,
        restored.map((a) => a.code),
      ),
    )
    .orderBy(asc(statusComponents.id))
    .for('update');
  const affected: AffectedComponent[] = [];
  for (const row of rows) {
    const before = restored.find((a) => a.code === row.id);
    if (!before || row.status !== 'operational') continue;
    await db
      .update(statusComponents)
      .set({ status: before.old_status, updatedAt: now })
      .where(eq(statusComponents.id, row.id));
    affected.push({
      code: row.id,
      name: row.name,
      old_status: row.status,
      new_status: before.old_status,
    });
  }
  return affected;
}
