import type { CampaignRow } from '../../db/schema';
import type { CampaignStatus } from '../campaigns/campaign-input';
import type { MeasurementWindow } from './campaign-assessment';
import { emptyGroup } from './campaign-measurements';
import { groupCompanion } from './companion-metrics';
import type { CampaignImpact } from './impact-schemas';

/**
 * A draft or a cancelled campaign never ran: no account was shown or sent it (a campaign is
 * cancelled only before it starts), so there is nothing to measure, however long ago its
 * planned window closed. Published ones are what the job measures and the report reads.
 */
export const neverRan = (status: CampaignStatus) => status === 'draft' || status === 'cancelled';

const whyNotRun = (status: CampaignStatus) =>
  status === 'draft'
    ? 'the campaign is a draft: it was never published, so it has not run and no account was ' +
      'shown or sent it; publish it to measure it'
    : 'the campaign was cancelled before it started: it has not run and no account was shown ' +
      'or sent it';

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
