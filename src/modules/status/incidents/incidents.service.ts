import { and, asc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { retryingTransaction } from '../../../db/retry-transaction';
import {
  type AffectedComponent,
  type ComponentStatus,
  type Impact,
  incidentComponents,
  incidents,
  incidentUpdates,
  type Severity,
  statusComponents,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError, notFound } from '../../../http/app-error';
import type { Audience } from '../../campaigns/audience';
import type { CampaignCreate, CampaignPatch } from '../../campaigns/campaign-input';
import {
  type Actor,
  createCampaign,
  patchCampaign,
  stopCampaign,
} from '../../campaigns/campaigns.service';
import { automaticTransitions, incidentStatusAt } from '../status-clock';
import type {
  IncidentOpen,
  IncidentUpdateInput,
  MaintenanceSchedule,
  MaintenanceUpdateInput,
} from '../status-schemas';
import { queueStatusUpdateEmails } from '../subscribers/status-subscriptions.service';
import { queueStatusWebhooks } from '../subscribers/status-webhooks.service';

export type ComponentChange = { id: string; status: ComponentStatus };

const BANNER_SEVERITY: Record<Impact, Severity> = {
  none: 'info',
  minor: 'warning',
  major: 'critical',
  critical: 'critical',
  maintenance: 'maintenance',
};

const invalid = (path: string, message: string) =>
  new AppError('validation_failed', 'The request is not valid; nothing was saved.', [
    { location: 'body', path, message },
  ]);

/**
 * Opens an incident: records the first update, sets the affected components' status and,
 * unless asked not to, publishes a banner to the accounts that use those components.
 */
export async function openIncident(deps: Deps, input: IncidentOpen, actor: Actor) {
  const id = await retryingTransaction(deps.db, async (tx) => {
    const now = deps.clock.now();
    const incidentId = uuidv7();
    await tx.insert(incidents).values({
      id: incidentId,
      kind: 'incident',
      name: input.name,
      status: input.status,
      impact: input.impact,
      createdAt: now,
      updatedAt: now,
      monitoringAt: input.status === 'monitoring' ? now : null,
    });
    const affected = await setComponentStatuses(tx, incidentId, input.components, now);
    await addUpdate(tx, incidentId, input.status, input.body, affected, now);
    if (input.notify_accounts) {
      const audience = await audienceOf(
        tx,
        input.components.map((c) => c.id),
      );
      const banner = bannerFor(
        deps,
        input.name,
        input.body,
        BANNER_SEVERITY[input.impact],
        null,
        audience,
      );
      await openBanner(deps, tx, incidentId, 'incident', banner, actor);
    }
    return incidentId;
  });
  deps.notices.catalog.invalidate();
  return id;
}

export async function postIncidentUpdate(
  deps: Deps,
  id: string,
  input: IncidentUpdateInput,
  actor: Actor,
) {
  await retryingTransaction(deps.db, async (tx) => {
    const now = deps.clock.now();
    const incident = await lockIncident(tx, id, 'incident');
    if (incident.status === 'resolved') {
      throw new AppError('conflict', 'The incident is resolved; open a new one.');
    }
    let affected = await setComponentStatuses(tx, id, input.components ?? [], now);
    if (input.status === 'resolved')
      affected = [...affected, ...(await restoreComponents(tx, id, now))];
    await tx
      .update(incidents)
      .set({
        status: input.status,
        impact: input.impact ?? incident.impact,
        updatedAt: now,
        ...(input.status === 'monitoring' && !incident.monitoringAt ? { monitoringAt: now } : {}),
        ...(input.status === 'resolved' ? { resolvedAt: now } : {}),
      })
      .where(eq(incidents.id, id));
    await addUpdate(tx, id, input.status, input.body, affected, now);
    await followBanner(deps, tx, incident.campaignId, actor, input.status === 'resolved', {
      body: input.body,
      severity: BANNER_SEVERITY[input.impact ?? incident.impact],
    });
  });
  deps.notices.catalog.invalidate();
}

/** Schedules maintenance; its banner shows from now until the window closes. */
export async function scheduleMaintenance(deps: Deps, input: MaintenanceSchedule, actor: Actor) {
  const scheduledFor = new Date(input.scheduled_for);
  const scheduledUntil = new Date(input.scheduled_until);
  if (scheduledUntil <= scheduledFor)
    throw invalid('scheduled_until', 'must be after scheduled_for');
  if (scheduledUntil <= deps.clock.now()) throw invalid('scheduled_until', 'must be in the future');
  const id = await retryingTransaction(deps.db, async (tx) => {
    const now = deps.clock.now();
    const maintenanceId = uuidv7();
    await tx.insert(incidents).values({
      id: maintenanceId,
      kind: 'maintenance',
      name: input.name,
      status: 'scheduled',
      impact: 'maintenance',
      scheduledFor,
      scheduledUntil,
      autoTransition: input.auto_transition,
      createdAt: now,
      updatedAt: now,
    });
    await linkComponents(tx, maintenanceId, input.components);
    await addUpdate(tx, maintenanceId, 'scheduled', input.body, [], now);
    if (input.notify_accounts) {
      const audience = await audienceOf(tx, input.components);
      const banner = bannerFor(
        deps,
        input.name,
        input.body,
        'maintenance',
        scheduledUntil,
        audience,
      );
      await openBanner(deps, tx, maintenanceId, 'maintenance', banner, actor);
    }
    return maintenanceId;
  });
  deps.notices.catalog.invalidate();
  return id;
}

export async function postMaintenanceUpdate(
  deps: Deps,
  id: string,
  input: MaintenanceUpdateInput,
  actor: Actor,
) {
  await retryingTransaction(deps.db, async (tx) => {
    const now = deps.clock.now();
    const maintenance = await lockIncident(tx, id, 'maintenance');
    if (incidentStatusAt(maintenance, now) === 'completed') {
      throw new AppError('conflict', 'The maintenance is completed.');
    }
    await tx
      .update(incidents)
      .set({
        status: input.status,
        updatedAt: now,
        ...(input.status === 'completed' ? { resolvedAt: now } : {}),
      })
      .where(eq(incidents.id, id));
    await addUpdate(tx, id, input.status, input.body, [], now);
    await followBanner(deps, tx, maintenance.campaignId, actor, input.status === 'completed', {
      body: input.body,
    });
  });
  deps.notices.catalog.invalidate();
}

/**
 * Records what the clock did to maintenance windows with `auto_transition` (in progress at
 * `scheduled_for`, completed at `scheduled_until`) as updates of their own, dated when they
 * happened, so subscribers and webhooks hear of them as of any update ops post. Each window is
 * locked and re-read, so two instances never record one transition twice.
 */
export async function recordMaintenanceTransitions(deps: Deps): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.db
    .select({ id: incidents.id })
    .from(incidents)
    .where(
      sql`${incidents.kind} = 'maintenance' and ${incidents.autoTransition}
        and ${incidents.status} <> 'completed'
        and (${incidents.scheduledUntil} <= ${now.toISOString()}::timestamptz
          or (${incidents.status} = 'scheduled'
            and ${incidents.scheduledFor} <= ${now.toISOString()}::timestamptz))`,
    );
  let recorded = 0;
  for (const { id } of due) {
    recorded += await retryingTransaction(deps.db, async (tx) => {
      const maintenance = await lockIncident(tx, id, 'maintenance');
      const transitions = automaticTransitions(maintenance, now);
      const last = transitions.at(-1);
      if (!last) return 0;
      for (const transition of transitions) {
        await addUpdate(tx, id, transition.status, transition.body, [], transition.at, now);
      }
      const completed = last.status === 'completed';
      await tx
        .update(incidents)
        .set({ status: last.status, updatedAt: now, ...(completed ? { resolvedAt: last.at } : {}) })
        .where(eq(incidents.id, id));
      if (completed && maintenance.campaignId) {
        await stopCampaign(deps, maintenance.campaignId, CLOCK_ACTOR, tx);
      }
      return transitions.length;
    });
  }
  if (recorded > 0) deps.notices.catalog.invalidate();
  return recorded;
}

const CLOCK_ACTOR = 'status page clock';

/** Publishes the banner of an incident or maintenance and links the two. */
async function openBanner(
  deps: Deps,
  tx: Db,
  incidentId: string,
  origin: 'incident' | 'maintenance',
  banner: ReturnType<typeof bannerFor>,
  actor: Actor,
) {
  const campaign = await createCampaign(deps, banner, actor, { origin, originId: incidentId }, tx);
  await tx.update(incidents).set({ campaignId: campaign.id }).where(eq(incidents.id, incidentId));
}

/** The banner follows its incident: new text and severity, or it stops when the incident does. */
async function followBanner(
  deps: Deps,
  tx: Db,
  campaignId: string | null,
  actor: Actor,
  finished: boolean,
  change: CampaignPatch,
) {
  if (!campaignId) return;
  if (finished) await stopCampaign(deps, campaignId, actor, tx);
  else await patchCampaign(deps, campaignId, change, actor, tx);
}

function bannerFor(
  deps: Deps,
  title: string,
  body: string,
  severity: Severity,
  endsAt: Date | null,
  audience: Audience,
): CampaignCreate {
  return {
    channels: ['banner', 'status'],
    title,
    body,
    severity,
    cta: { label: 'Status page', url: `${deps.config.publicUrl}/status` },
    locales: {},
    starts_at: null,
    ends_at: endsAt?.toISOString() ?? null,
    audience,
    event_id: null,
    target_reasons: [],
    // An outage is never hidden from anyone to measure it.
    holdout_percent: 0,
    publish: true,
  };
}

/**
 * Accounts that list an affected component (or a component of an affected group) among the
 * components they use; everyone when no component was named.
 */
async function audienceOf(db: Db, componentIds: string[]): Promise<Audience> {
  if (componentIds.length === 0) return { type: 'all' };
  const ids = sql`${JSON.stringify(componentIds)}::jsonb`;
  const rows = await db
    .select({ name: statusComponents.name })
    .from(statusComponents)
    .where(
      sql`${statusComponents.id} in (select jsonb_array_elements_text(${ids})::uuid)
          or ${statusComponents.groupId} in (select jsonb_array_elements_text(${ids})::uuid)`,
    );
  const names = [...new Set(rows.map((r) => r.name))];
  return {
    type: 'rule',
    any: names.map((name) => ({ attribute: 'components', op: 'contains' as const, value: name })),
  };
}

async function lockIncident(db: Db, id: string, kind: 'incident' | 'maintenance') {
  const [row] = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.id, id), eq(incidents.kind, kind)))
    .for('update');
  if (!row) throw notFound(`${kind === 'incident' ? 'Incident' : 'Maintenance'} ${id}`);
  return row;
}

/** Locks the named components (in id order) and links them to the incident. */
async function linkComponents(db: Db, incidentId: string, ids: string[]) {
  if (ids.length === 0) return [];
  const rows = await db
    .select()
    .from(statusComponents)
    .where(inArray(statusComponents.id, ids))
    .orderBy(asc(statusComponents.id))
    .for('update');
  const missing = ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length > 0) throw invalid('components', `no component has id ${missing.join(', ')}`);
  await db
    .insert(incidentComponents)
    .values(rows.map((r) => ({ incidentId, componentId: r.id })))
    .onConflictDoNothing();
  return rows;
}

/** Sets each named component's status and links it to the incident; returns what changed. */
async function setComponentStatuses(
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
    throw invalid('components', 'name the components of a group, not the group itself');
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
async function restoreComponents(
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

async function addUpdate(
  db: Db,
  incidentId: string,
  status: string,
  body: string,
  affected: AffectedComponent[],
  at: Date,
  now = at,
) {
  const id = uuidv7();
  await db.insert(incidentUpdates).values({
    id,
    incidentId,
    status,
    body,
    affectedComponents: affected,
    createdAt: at,
  });
  await queueStatusUpdateEmails(db, id, now);
  await queueStatusWebhooks(db, id, now);
}
