import { and, asc, eq, max, ne, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { ADVISORY_LOCKS } from '../../db/advisory-locks';
import type { Db } from '../../db/database';
import { violatesUnique } from '../../db/database-errors';
import { retryingTransaction } from '../../db/retry-transaction';
import {
  type ComponentStatus,
  incidentComponents,
  incidents,
  type StatusComponentRow,
  statusComponents,
} from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, notFound } from '../../http/app-error';
import type { Actor } from '../campaigns/campaigns.service';
import { followRenamedComponent } from './incidents/incident-banner';
import { changeStatus } from './incidents/incident-records';
import { maintenanceStatus, shownComponentStatuses } from './status-clock';
import type { ComponentInput, ComponentPatch, ComponentView } from './status-schemas';

const toComponentView = (row: StatusComponentRow, status: ComponentStatus): ComponentView => ({
  id: row.id,
  name: row.name,
  description: row.description,
  group: row.isGroup,
  group_id: row.groupId,
  position: row.position,
  status,
  only_show_if_degraded: row.onlyShowIfDegraded,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

const fieldError = (path: string, message: string) =>
  new AppError('validation_failed', 'The component is not valid; nothing was saved.', [
    { location: 'body', path, message },
  ]);

/** Groups hold components one level deep: a group cannot sit in another group. */
async function checkGroup(db: Db, groupId: string | null | undefined, isGroup: boolean) {
  if (!groupId) return;
  if (isGroup) throw fieldError('group_id', 'a group cannot belong to another group');
  const [group] = await db.select().from(statusComponents).where(eq(statusComponents.id, groupId));
  if (!group?.isGroup) throw fieldError('group_id', `no component group has id ${groupId}`);
}

/**
 * A name in use is a conflict with stored data (409), as other such conflicts are, and the
 * same answer whether the check below saw it or the table's unique name refused a request
 * that raced past the check.
 */
const nameTaken = (name: string) =>
  new AppError('conflict', `A component is already named ${name}; nothing was saved.`, [
    { location: 'body', path: 'name', message: `a component is already named ${name}` },
  ]);

async function checkNameFree(db: Db, name: string, exceptId?: string) {
  const [taken] = await db
    .select({ id: statusComponents.id })
    .from(statusComponents)
    .where(eq(statusComponents.name, name));
  if (taken && taken.id !== exceptId) throw nameTaken(name);
}

/** `write`, with the name it gives refused as `checkNameFree` refuses it when taken meanwhile. */
async function namingUniquely<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (name !== undefined && violatesUnique(error, NAME_CONSTRAINT)) throw nameTaken(name);
    throw error;
  }
}

const NAME_CONSTRAINT = 'status_components_name_unique';

/**
 * The position after every component's. Two creates taking it at once would take the same
 * one, so they take turns (`componentPositions`, taken by the create): the lock is held until
 * the transaction inserting it commits, and the next one reads the position it took.
 */
async function nextPosition(tx: Db): Promise<number> {
  const [last] = await tx
    .select({ position: max(statusComponents.position) })
    .from(statusComponents);
  return (last?.position ?? -1) + 1;
}

/**
 * The most components a status page holds. The public page and the Statuspage API answer
 * every component at once, as Statuspage's own do, so their number is bounded where they
 * are made.
 */
export const MAX_COMPONENTS = 500;

/** Refuses a component beyond MAX_COMPONENTS; under the same lock as `nextPosition`. */
async function checkRoomForComponent(tx: Db): Promise<void> {
  const [row] = await tx.select({ count: sql<number>`count(*)::int` }).from(statusComponents);
  if ((row?.count ?? 0) >= MAX_COMPONENTS) {
    throw new AppError(
      'conflict',
      `The status page holds ${MAX_COMPONENTS} components, the most it shows; remove one ` +
        'before adding another. Nothing was saved.',
    );
  }
}

export async function createComponent(deps: Deps, input: ComponentInput): Promise<ComponentView> {
  await checkGroup(deps.db, input.group_id, input.group ?? false);
  await checkNameFree(deps.db, input.name);
  const now = deps.clock.now();
  // In a transaction of its own, so a retry with the same Idempotency-Key knows it committed.
  const [row] = await namingUniquely(input.name, () =>
    retryingTransaction(deps.db, async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_LOCKS.componentPositions})`);
      await checkRoomForComponent(tx);
      return tx
        .insert(statusComponents)
        .values({
          id: uuidv7(),
          name: input.name,
          description: input.description ?? null,
          isGroup: input.group ?? false,
          groupId: input.group_id ?? null,
          position: input.position ?? (await nextPosition(tx)),
          onlyShowIfDegraded: input.only_show_if_degraded ?? false,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
    }),
  );
  if (!row) throw new Error('insert into status_components returned no row');
  return componentView(deps, row.id);
}

export async function updateComponent(
  deps: Deps,
  id: string,
  patch: ComponentPatch,
  actor: Actor,
): Promise<ComponentView> {
  const [existing] = await deps.db
    .select()
    .from(statusComponents)
    .where(eq(statusComponents.id, id));
  if (!existing) throw notFound(`Component ${id}`);
  if (patch.group_id !== undefined) await checkGroup(deps.db, patch.group_id, existing.isGroup);
  if (patch.name !== undefined) await checkNameFree(deps.db, patch.name, id);
  if (patch.status !== undefined && existing.isGroup) {
    throw fieldError('status', 'a group shows the worst status of its components');
  }
  const renamed = patch.name !== undefined && patch.name !== existing.name ? patch.name : null;
  const write = async (db: Db) => {
    const [row] = await db
      .update(statusComponents)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.group_id !== undefined ? { groupId: patch.group_id } : {}),
        ...(patch.position !== undefined ? { position: patch.position } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.only_show_if_degraded !== undefined
          ? { onlyShowIfDegraded: patch.only_show_if_degraded }
          : {}),
        updatedAt: deps.clock.now(),
      })
      .where(eq(statusComponents.id, id))
      .returning();
    if (!row) throw notFound(`Component ${id}`);
    if (renamed) await followRenamedComponent(deps, db, existing.name, renamed, actor);
  };
  // Open banners name components in their audience: a rename changes them with it.
  await namingUniquely(patch.name, () => (renamed ? changeStatus(deps, write) : write(deps.db)));
  return componentView(deps, id);
}

export async function deleteComponent(deps: Deps, id: string): Promise<void> {
  const deleted = await deps.db
    .delete(statusComponents)
    .where(eq(statusComponents.id, id))
    .returning({ id: statusComponents.id });
  if (deleted.length === 0) throw notFound(`Component ${id}`);
}

export async function listComponentRows(db: Db): Promise<StatusComponentRow[]> {
  return db
    .select()
    .from(statusComponents)
    .orderBy(asc(statusComponents.position), asc(statusComponents.name));
}

export type ShownComponents = {
  rows: StatusComponentRow[];
  /** By id, the status the component shows at that moment (see `shownComponentStatuses`). */
  statuses: Map<string, ComponentStatus>;
};

/** Every component in page order with the status it shows at `now`. */
export async function componentsShownAt(db: Db, now: Date): Promise<ShownComponents> {
  const [rows, maintenanceLinks] = await Promise.all([
    listComponentRows(db),
    db
      .select({ maintenance: incidents, componentId: incidentComponents.componentId })
      .from(incidentComponents)
      .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
      .where(and(eq(incidents.kind, 'maintenance'), ne(incidents.status, 'completed'))),
  ]);
  const inMaintenance = new Set(
    maintenanceLinks
      .filter(({ maintenance }) =>
        ['in_progress', 'verifying'].includes(maintenanceStatus(maintenance, now)),
      )
      .map((link) => link.componentId),
  );
  return { rows, statuses: shownComponentStatuses(rows, inMaintenance) };
}

export async function listComponentViews(deps: Deps): Promise<ComponentView[]> {
  const { rows, statuses } = await componentsShownAt(deps.db, deps.clock.now());
  return rows.map((row) => toComponentView(row, statuses.get(row.id) ?? row.status));
}

async function componentView(deps: Deps, id: string): Promise<ComponentView> {
  const view = (await listComponentViews(deps)).find((c) => c.id === id);
  if (!view) throw notFound(`Component ${id}`);
  return view;
}
