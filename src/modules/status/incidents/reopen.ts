import { eq } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import { type AffectedComponent, type IncidentRow, incidents } from '../../../db/schema';
import type { Deps } from '../../../deps';
import type { Actor } from '../../campaigns/campaigns.service';
import { type BannerContent, reopenBanner } from './incident-banner';
import { addUpdate } from './incident-records';

export type Reopening = {
  status: string;
  body: string;
  /** What the reopening did to components, recorded with its update. */
  affected: AffectedComponent[];
  /** Columns of its own kind the reopening sets too. */
  columns: Partial<Pick<IncidentRow, 'impact' | 'monitoringAt' | 'autoTransition'>>;
  banner: Omit<BannerContent, 'title' | 'body'>;
};

/**
 * Reopens a resolved incident or a completed maintenance, as Statuspage allows when a problem
 * returns or work turns out unfinished: it is open again (no `resolved_at`), the update is
 * recorded (subscribers and webhooks hear of it), and, if it had a banner, a new one shows, so
 * accounts that dismissed the first see it again. The page, feeds, ETags and uptime follow
 * from these rows.
 */
export async function reopen(
  deps: Deps,
  tx: Db,
  row: IncidentRow,
  reopening: Reopening,
  actor: Actor,
  now: Date,
) {
  await tx
    .update(incidents)
    .set({ ...reopening.columns, status: reopening.status, updatedAt: now, resolvedAt: null })
    .where(eq(incidents.id, row.id));
  await addUpdate(tx, row.id, reopening.status, reopening.body, reopening.affected, now);
  if (row.campaignId) {
    const banner = { ...reopening.banner, body: reopening.body };
    await reopenBanner(deps, tx, row, row.campaignId, banner, actor);
  }
}
