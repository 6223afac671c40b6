import { eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { incidents } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError } from '../../../http/app-error';
import type { Actor } from '../../campaigns/campaigns.service';
import type { IncidentOpen, IncidentUpdateInput } from '../status-schemas';
import { BANNER_SEVERITY, followBanner, openBanner, widenedAudience } from './incident-banner';
import { restoreComponents, setComponentStatuses } from './incident-components';
import { addUpdate, changeStatus, lockIncident } from './incident-records';

/**
 * Opens an incident: records the first update, sets the affected components' status and,
 * unless asked not to, publishes a banner to the accounts that use those components.
 */
export async function openIncident(deps: Deps, input: IncidentOpen, actor: Actor) {
  return changeStatus(deps, async (tx) => {
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
    const { affected } = await setComponentStatuses(tx, incidentId, input.components, now);
    await addUpdate(tx, incidentId, input.status, input.body, affected, now);
    if (input.notify_accounts) {
      const banner = {
        title: input.name,
        body: input.body,
        severity: BANNER_SEVERITY[input.impact],
        endsAt: null,
        componentIds: input.components.map((c) => c.id),
      };
      await openBanner(deps, tx, incidentId, 'incident', banner, actor);
    }
    return incidentId;
  });
}

export async function postIncidentUpdate(
  deps: Deps,
  id: string,
  input: IncidentUpdateInput,
  actor: Actor,
) {
  await changeStatus(deps, async (tx) => {
    const now = deps.clock.now();
    const incident = await lockIncident(tx, id, 'incident');
    if (incident.status === 'resolved') {
      throw new AppError('conflict', 'The incident is resolved; open a new one.');
    }
    const named = await setComponentStatuses(tx, id, input.components ?? [], now);
    const affected =
      input.status === 'resolved'
        ? [...named.affected, ...(await restoreComponents(tx, id, now, named.set))]
        : named.affected;
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
    const resolved = input.status === 'resolved';
    const audience = resolved
      ? undefined
      : await widenedAudience(
          tx,
          incident.campaignId,
          (input.components ?? []).map((c) => c.id),
        );
    await followBanner(deps, tx, incident.campaignId, actor, resolved, {
      body: input.body,
      severity: BANNER_SEVERITY[input.impact ?? incident.impact],
      ...(audience ? { audience } : {}),
    });
  });
}
