import { eq, getTableColumns } from 'drizzle-orm';
import { campaigns } from '../../db/schema';
import type { Deps } from '../../deps';
import { notFound } from '../../http/app-error';
import { campaignStatus } from '../campaigns/campaign-status';
import { assessWithHoldout, intervalKindOf, measurementWindow } from './campaign-assessment';
import { catchUpForMeasurement, measureCampaigns } from './campaign-measurements';
import { exposureColumns } from './exposure-period';
import { exposureView } from './exposure-view';
import type { CampaignImpact } from './impact-schemas';
import { neverRan, notRunImpact } from './not-run-impact';
import { observationalImpact } from './observational-impact';

/**
 * A campaign's impact from its holdout: per exposed account, contacts from its first exposure
 * to `window_days` after the campaign ends (or now, while it runs), adjusted by its own
 * contacts in the 8 weeks before; net over all reasons (the headline), for the target reasons,
 * and the difference (contacts shifted to other reasons); the companion metrics of both
 * groups. Without a holdout, the observational estimate beside it. A campaign that never ran
 * (a draft, or cancelled before anything went out) is not measured: it says so.
 */
export async function campaignImpact(
  deps: Deps,
  id: string,
  windowDays?: number,
): Promise<CampaignImpact> {
  const [campaign] = await deps.db
    .select({ ...getTableColumns(campaigns), ...exposureColumns })
    .from(campaigns)
    .where(eq(campaigns.id, id));
  if (!campaign) throw notFound(`Campaign ${id}`);
  const now = deps.clock.now();
  const days = windowDays ?? deps.config.impactWindowDays;
  const window = measurementWindow(campaign, now, days);
  const status = campaignStatus(campaign, now);
  await catchUpForMeasurement(deps);
  if (await neverRan(deps.db, id, now)) return notRunImpact(campaign, status, window, days);
  const measured = await measureCampaigns(
    deps.db,
    [{ id, targetReasons: campaign.targetReasons, windowEnd: window.end }],
    deps.config.workspaceTimeZone,
  );
  const measurement = measured.get(id);
  if (!measurement) throw notFound(`Campaign ${id}`);
  const { estimate, ...assessment } = assessWithHoldout(
    measurement,
    window,
    deps.config.costPerTicketCents,
  );
  const method = campaign.holdoutPercent > 0 ? 'holdout' : 'observational';
  return {
    campaign_id: id,
    campaign_status: status,
    measurement: window.measurement,
    method,
    window: {
      days,
      ends_at: window.end.toISOString(),
      elapsed_days: window.timing.elapsedDays,
      planned_days: window.timing.windowDays,
    },
    exposure: exposureView(campaign),
    target_reasons: campaign.targetReasons,
    ...assessment,
    interval_kind: intervalKindOf(campaign.holdoutPercent, assessment.interval_kind),
    ...(campaign.holdoutPercent === 0
      ? {
          net: NO_HOLDOUT,
          target: NO_HOLDOUT,
          shifted: NO_HOLDOUT,
          observational: await observationalImpact(deps, campaign, window.end),
        }
      : {}),
  };
}

/** What the holdout estimates say of a campaign that holds no one out: where its answer is. */
const NO_HOLDOUT = {
  status: 'insufficient_data',
  reason:
    'the campaign has no holdout: its estimate is observational, for its target reasons ' +
    '(see observational)',
  needed: { more_weeks: null, holdout_accounts: null },
} as const;
