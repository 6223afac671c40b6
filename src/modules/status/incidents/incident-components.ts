import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import {
  type AffectedComponent,
  type ComponentStatus,
  incidentComponents,
  incidents,
  statusComponents,
} from '../../../db/schema';
import { invalidInput } from './incident-records';

export type ComponentChange = { id: string; status: ComponentStatus };

/** Locks the named components (in id order) and links them to the incident. */
export async function linkComponents(db: Db, incidentId: string, ids: string[]) {
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(statusComponents)
    .where(inArray(statusComponents.id, ids))
    .orderBy(asc(statusComponents.id))
    .for('update');
  const missing = ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length > 0) {
    throw invalidInput('components', `no component has id ${missing.join(', ')}`);
  }
  await db
    .insert(incidentComponents)
    .values(rows.map((r) => ({ incidentId, componentId: r.id })))
    .onConflictDoNothing();
  return rows;
}

/** Sets each named component's status and links it to the incident; returns what changed. */
export async function setComponentStatuses(
  db: Db,
  incidentId: string,
  changes: ComponentChange[],
  now: Date,
): Promise<AffectedComponent[]> {
  const rows = await linkComponents(
    db,
    incidentId,
    changes.map((c) => c.id),
  );
  if (rows.some((r) => r.isGroup)) {
    throw invalidInput('components', 'name the components of a group, not the group itself');
  }
  const affected: AffectedComponent[] = [];
  for (const change of changes) {
    const row = rows.find((r) => r.id === change.id);
    if (!row || row.status === change.status) continue;
    await db
      .update(statusComponents)
      .set({ status: change.status, updatedAt: now })
      .where(eq(statusComponents.id, row.id));
    affected.push({
      code: row.id,
      name: row.name,
      old_status: row.status,
      new_status: change.status,
    });
  }
  return affected;
}

/** On resolution, components go back to operational unless another open incident holds them. */
export async function restoreComponents(
  db: Db,
  incidentId: string,
  now: Date,
): Promise<AffectedComponent[]> {
  const linked = await db
    .select({ component: statusComponents })
    .from(incidentComponents)
    .innerJoin(statusComponents, eq(statusComponents.id, incidentComponents.componentId))
    .where(eq(incidentComponents.incidentId, incidentId));
  const affected: AffectedComponent[] = [];
  for (const { component } of linked) {
    if (component.status === 'operational') continue;
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
