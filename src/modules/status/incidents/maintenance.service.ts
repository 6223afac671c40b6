import { and, eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { type IncidentRow, incidents, incidentUpdates } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError } from '../../../http/app-error';
import type { Actor } from '../../campaigns/campaigns.service';
import { incidentStatusAt } from '../status-clock';
import type { MaintenanceSchedule, MaintenanceUpdateInput } from '../status-schemas';
import { followBanner, openBanner } from './incident-banner';
import { linkComponents } from './incident-components';
import { requireIncidentPrecondition, type UpdateOptions } from './incident-etag';
import {
  addUpdate,
  changeStatus,
  invalidInput,
  lockIncident,
  openAlready,
} from './incident-records';
import { recordClockTransitions } from './maintenance-clock.service';
import { reopen } from './reopen';

/**
 * Schedules maintenance; its banner shows from now until the window closes (or, with
 * `auto_transition` off, until ops complete it).
 */
export async function scheduleMaintenance(deps: Deps, input: MaintenanceSchedule, actor: Actor) {
  const scheduledFor = new Date(input.scheduled_for);
  const scheduledUntil = new Date(input.scheduled_until);
  if (scheduledUntil <= scheduledFor) {
    throw invalidInput('scheduled_until', 'must be after scheduled_for');
  }
  if (scheduledUntil <= deps.clock.now()) {
    throw invalidInput('scheduled_until', 'must be in the future');
  }
  return changeStatus(deps, async (tx) => {
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
      const banner = {
        title: input.name,
        body: input.body,
        severity: 'maintenance' as const,
        // Moved by hand, it may overrun its window: its banner ends when ops complete it.
        endsAt: input.auto_transition ? scheduledUntil : null,
        componentIds: input.components,
      };
      await openBanner(deps, tx, maintenanceId, 'maintenance', banner, actor);
    }
    return maintenanceId;
  });
}

/**
 * Records an update. `in_progress` or `verifying` on a completed maintenance reopens it, as
 * for an incident: see `reopenMaintenance`. With `expected`, only over that version (else 412,
 * nothing changed, the clock's moves not recorded either).
 */
export async function postMaintenanceUpdate(
  deps: Deps,
  id: string,
  input: MaintenanceUpdateInput,
  actor: Actor,
  { only, expected }: UpdateOptions = {},
) {
  await changeStatus(deps, async (tx) => {
    const now = deps.clock.now();
    const maintenance = await lockIncident(tx, id, 'maintenance');
    const current = incidentStatusAt(maintenance, now);
    if (only === 'reopen' && current !== 'completed') throw openAlready();
    requireIncidentPrecondition(expected, maintenance, now);
    if (current === 'completed') {
      return reopenMaintenance(deps, tx, maintenance, input, actor, now);
    }
    // Verifying before it began would skip in_progress in its history and put its components
    // under maintenance ahead of the window; completed stays open, to call it off.
    if (current === 'scheduled' && input.status === 'verifying') {
      throw invalidInput(
        'status',
        'the maintenance has not begun: it can be scheduled, in_progress or completed ' +
          '(called off) until it is in progress',
      );
    }
    if (
      input.status === 'scheduled' &&
      maintenance.autoTransition &&
      maintenance.scheduledFor &&
      maintenance.scheduledFor <= now
    ) {
      throw invalidInput(
        'status',
        'the window has started and moves with the clock (auto_transition): a maintenance ' +
          'in it cannot be scheduled again',
      );
    }
    await recordClockTransitions(tx, maintenance, now);
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
}

/**
 * Reopens a completed maintenance whose work turned out unfinished (see `reopen`): its
 * components are under maintenance again while it is under way. Inside its window it still
 * completes with the clock (`auto_transition`); past it, the clock would complete it at once,
 * so it is in ops' hands until they post `completed`, its banner showing until then.
 */
async function reopenMaintenance(
  deps: Deps,
  tx: Db,
  maintenance: IncidentRow,
  input: MaintenanceUpdateInput,
  actor: Actor,
  now: Date,
) {
  if (input.status === 'completed' || input.status === 'scheduled') {
    throw new AppError(
      'conflict',
      'The maintenance is completed; an update in_progress or verifying reopens it.',
    );
  }
  // The clock's completion goes into its history first, so the reopening follows it there.
  await recordClockTransitions(tx, maintenance, now);
  if (input.status === 'verifying' && !(await hasBegun(tx, maintenance.id))) {
    throw invalidInput(
      'status',
      'the maintenance was called off before it began: in_progress reopens it',
    );
  }
  const autoTransition =
    maintenance.autoTransition && !!maintenance.scheduledUntil && maintenance.scheduledUntil > now;
  const reopening = {
    status: input.status,
    body: input.body,
    affected: [],
    columns: { autoTransition },
    banner: {
      severity: 'maintenance' as const,
      endsAt: autoTransition ? maintenance.scheduledUntil : null,
      componentIds: [],
    },
  };
  await reopen(deps, tx, maintenance, reopening, actor, now);
}

async function hasBegun(tx: Db, maintenanceId: string) {
  const [begun] = await tx
    .select({ id: incidentUpdates.id })
    .from(incidentUpdates)
    .where(
      and(eq(incidentUpdates.incidentId, maintenanceId), eq(incidentUpdates.status, 'in_progress')),
    )
    .limit(1);
  return begun !== undefined;
}
