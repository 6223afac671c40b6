import { and, eq, isNotNull, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { type CampaignRow, campaigns, exposures } from '../../db/schema';
import type { CampaignStatus } from '../campaigns/campaign-input';
import type { MeasurementWindow } from './campaign-assessment';
import { emptyGroup } from './campaign-measurements';
import { groupCompanion } from './companion-metrics';
import type { CampaignImpact } from './impact-schemas';

/**
 * Campaigns that ran by `now`, so they have an effect to measure: published and not
 * cancelled, or cancelled after an account was shown or sent them (a scheduled campaign's
 * email may go out before its start) or held out from that. Drafts, and campaigns cancelled
 * before anything went out, never ran. The impact API, the measure-campaigns job and the
 * leaders' report measure the same campaigns by it.
 */
export const ranBy = (now: Date) =>
  and(
    isNotNull(campaigns.publishedAt),
    or(
      isNull(campaigns.cancelledAt),
      sql`exists (select 1 from ${exposures} e
        where e.campaign_id = ${campaigns.id} and e.first_at <= ${now.toISOString()}::timestamptz)`,
    ),
  );

/**
 * Whether a campaign never ran (see `ranBy`): there is nothing to measure, however long ago
 * its planned window closed.
 */
export async function neverRan(db: Db, id: string, now: Date) {
  const [ran] = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(and(eq(campaigns.id, id), ranBy(now)))
    .limit(1);
  return !ran;
}

const whyNotRun = (status: CampaignStatus) =>
  status === 'draft'
    ? 'the campaign is a draft: it was never published, so it has not run and no account was ' +
      'shown or sent it; publish it to measure it'
    : 'the campaign was cancelled before it started, and before any account was shown or sent ' +
      'it: it has not run';

/** What the impact endpoint says of a campaign that never ran: why, and no number. */
export function notRunImpact(
  campaign: Pick<CampaignRow, 'id' | 'targetReasons' | 'holdoutPercent'>,
  status: CampaignStatus,
  window: MeasurementWindow,
  days: number,
): CampaignImpact {
  const notRun = {
    status: 'insufficient_data',
    reason: whyNotRun(status),
    needed: { more_weeks: null, holdout_accounts: null },
  } as const;
  const none = { adjusted: null, unadjusted: null };
  const empty = groupCompanion(emptyGroup(), 0);
  return {
    campaign_id: campaign.id,
    campaign_status: status,
    measurement: 'not_run',
    method: campaign.holdoutPercent > 0 ? 'holdout' : 'observational',
    window: {
      days,
      ends_at: window.end.toISOString(),
      elapsed_days: 0,
      // Without a start, the planned window is measured from now: none once it is past.
      planned_days: Math.max(0, window.timing.windowDays),
    },
    exposure: null,
    target_reasons: campaign.targetReasons,
    interval_kind: null,
    net: notRun,
    target: notRun,
    shifted: notRun,
    deflection_rate: null,
    detectable: { net: none, target: none },
    companion: { treated: empty, holdout: empty },
    warnings: [],
    holdout_reached: { accounts: 0, held_out: 0 },
    ...(campaign.holdoutPercent === 0
      ? { observational: { status: 'insufficient_data', reason: whyNotRun(status) } }
      : {}),
  };
}
