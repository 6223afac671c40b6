import { eq } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { type IncidentRow, incidents } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError } from '../../../http/app-error';
import type { Actor } from '../../campaigns/campaigns.service';
import type { IncidentOpen, IncidentUpdateInput } from '../status-schemas';
import { BANNER_SEVERITY, followBanner, openBanner, widenedAudience } from './incident-banner';
import {
  reinstateComponents,
  restoreComponents,
  setComponentStatuses,
} from './incident-components';
import { requireIncidentPrecondition, type UpdateOptions } from './incident-etag';
import { addUpdate, changeStatus, lockIncident, openAlready } from './incident-records';
import { reopen } from './reopen';

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

/**
 * Records an update. One that is not `resolved` on a resolved incident reopens it, as
 * Statuspage allows when a problem returns: see `reopenIncident`. With `expected`, the locked
 * incident must still be at the version it names (else 412, nothing changed): an update
 * written before a colleague's resolution does not reopen it unseen.
 */
export async function postIncidentUpdate(
  deps: Deps,
  id: string,
  input: IncidentUpdateInput,
  actor: Actor,
  { only, expected }: UpdateOptions = {},
) {
  await changeStatus(deps, async (tx) => {
    const now = deps.clock.now();
    const incident = await lockIncident(tx, id, 'incident');
    if (only === 'reopen' && incident.status !== 'resolved') throw openAlready();
    requireIncidentPrecondition(expected, incident, now);
    if (incident.status === 'resolved') {
      if (input.status === 'resolved') {
        throw new AppError(
          'conflict',
          'The incident is resolved already; an update with another status reopens it.',
        );
      }
      return reopenIncident(deps, tx, incident, input, actor, now);
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

/**
 * Reopens a resolved incident (see `reopen`): `monitoring_at` is kept only if it reopens in
 * monitoring, and the components its resolution gave back return to the status they had
 * unless the update names theirs.
 */
async function reopenIncident(
  deps: Deps,
  tx: Db,
  incident: IncidentRow,
  input: IncidentUpdateInput,
  actor: Actor,
  now: Date,
) {
  const named = await setComponentStatuses(tx, incident.id, input.components ?? [], now);
  const reinstated = await reinstateComponents(tx, incident.id, now, named.set);
  const impact = input.impact ?? incident.impact;
  const reopening = {
    status: input.status,
    body: input.body,
    affected: [...named.affected, ...reinstated],
    columns: { impact, monitoringAt: input.status === 'monitoring' ? now : null },
    banner: {
      severity: BANNER_SEVERITY[impact],
      endsAt: null,
      componentIds: (input.components ?? []).map((c) => c.id),
    },
  };
  await reopen(deps, tx, incident, reopening, actor, now);
}
