import { eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { incidents } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError } from '../../../http/app-error';
import type { Actor } from '../../campaigns/campaigns.service';
import { incidentStatusAt } from '../status-clock';
import type { MaintenanceSchedule, MaintenanceUpdateInput } from '../status-schemas';
import { followBanner, openBanner } from './incident-banner';
import { linkComponents } from './incident-components';
import { addUpdate, changeStatus, invalidInput, lockIncident } from './incident-records';
import { recordClockTransitions } from './maintenance-clock.service';

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

export async function postMaintenanceUpdate(
  deps: Deps,
  id: string,
  input: MaintenanceUpdateInput,
  actor: Actor,
) {
  await changeStatus(deps, async (tx) => {
    const now = deps.clock.now();
    const maintenance = await lockIncident(tx, id, 'maintenance');
    const current = incidentStatusAt(maintenance, now);
    if (current === 'completed') {
      throw new AppError('conflict', 'The maintenance is completed.');
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
