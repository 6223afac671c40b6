import { asc, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { type SpikeAlertRow, spikeAlerts } from '../../db/schema';
import type { Deps } from '../../deps';
import { type Page, type PageQuery, toPage } from '../../http/pagination';
import { addWeeks, currentWeek } from '../reasons/weeks';
import { refreshVerdicts } from './refresh-verdicts';
import { postToSlack, spikeMessage } from './slack-notifier';
import type { SpikeAlertView, SpikeView } from './spike-schemas';
import { findSpikes } from './spikes.service';

/**
 * The weekly detection run: brings stored verdicts up to date, takes the spikes of the last
 * two complete weeks (late tickets can still turn the previous week into a spike), keeps them
 * as alerts, and notifies Slack of each spike once. A spike whose notification failed is
 * sent again by the retry-spike-alerts job. The weeks are those before `scheduledAt`'s, the moment the run
 * stands for, which is earlier than now for a run made up late.
 */
export async function detectAndStoreSpikes(
  deps: Deps,
  scheduledAt: Date,
): Promise<{ stored: number; notified: number }> {
  await refreshVerdicts(deps);
  const lastWeek = addWeeks(currentWeek(scheduledAt, deps.config.workspaceTimeZone), -1);
  const report = await findSpikes(deps, { from: addWeeks(lastWeek, -1), to: lastWeek });
  for (const spike of report.spikes) await storeSpike(deps, spike);
  const notified = deps.config.slackWebhookUrl
    ? await notifyPending(deps, deps.config.slackWebhookUrl)
    : 0;
  return { stored: report.spikes.length, notified };
}

async function storeSpike(deps: Deps, spike: SpikeView): Promise<void> {
  const values = {
    observed: spike.observed,
    expected: spike.expected,
    excess: spike.excess,
    probability: spike.probability,
    severity: spike.severity,
    method: spike.method,
    events: spike.events,
    unexplained: spike.unexplained,
  };
  await deps.db
    .insert(spikeAlerts)
    .values({
      id: uuidv7(),
      reasonSlug: spike.reason,
      week: spike.week,
      detectedAt: deps.clock.now(),
      ...values,
    })
    .onConflictDoUpdate({ target: [spikeAlerts.reasonSlug, spikeAlerts.week], set: values });
}

/** Claims unnotified alerts (SKIP LOCKED: two instances never send the same one). */
export async function notifyPending(deps: Deps, webhookUrl: string): Promise<number> {
  let sent = 0;
  await deps.db.transaction(async (tx) => {
    const pending = await tx
      .select({ alert: spikeAlerts, label: labelOf })
      .from(spikeAlerts)
      .where(isNull(spikeAlerts.notifiedAt))
      .orderBy(asc(spikeAlerts.week))
      .limit(50)
      .for('update', { of: spikeAlerts, skipLocked: true });
    for (const { alert, label } of pending) {
      const message = spikeMessage(toSpikeView(alert, label), deps.config.publicUrl);
      const ok = await postToSlack(webhookUrl, message).catch((error: Error) => {
        deps.logger.warn('slack notification failed', {
          reason: alert.reasonSlug,
          error: error.message,
        });
        return false;
      });
      if (!ok) break;
      await tx
        .update(spikeAlerts)
        .set({ notifiedAt: deps.clock.now() })
        .where(eq(spikeAlerts.id, alert.id));
      sent++;
    }
  });
  return sent;
}

const labelOf = sql<
  string | null
>`(select label from reasons where slug = ${spikeAlerts.reasonSlug})`;

function toSpikeView(row: SpikeAlertRow, label: string | null): SpikeView {
  return {
    week: row.week,
    reason: row.reasonSlug,
    label: label ?? row.reasonSlug,
    observed: row.observed,
    expected: row.expected,
    usual: row.expected + Math.max(0, row.excess - row.unexplained),
    excess: row.excess,
    probability: row.probability,
    severity: row.severity,
    method: row.method,
    events: row.events,
    unexplained: row.unexplained,
  };
}

/** Stored alerts, newest first. */
export async function listSpikeAlerts(deps: Deps, query: PageQuery): Promise<Page<SpikeAlertView>> {
  const rows = await deps.db
    .select({
      alert: spikeAlerts,
      label: sql<string>`(select label from reasons where slug = ${spikeAlerts.reasonSlug})`,
    })
    .from(spikeAlerts)
    .where(query.cursor ? lt(spikeAlerts.id, query.cursor) : undefined)
    .orderBy(desc(spikeAlerts.id))
    .limit(query.limit + 1);
  return toPage(
    rows.map(({ alert, label }) => ({
      ...toSpikeView(alert, label),
      id: alert.id,
      detected_at: alert.detectedAt.toISOString(),
      notified_at: alert.notifiedAt?.toISOString() ?? null,
    })),
    query.limit,
  );
}
