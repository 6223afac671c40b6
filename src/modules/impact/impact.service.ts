import { eq } from 'drizzle-orm';
import { campaigns } from '../../db/schema';
import type { Deps } from '../../deps';
import { notFound } from '../../http/app-error';
import { campaignStatus } from '../campaigns/campaign-status';
import {
  catchUpForMeasurement,
  groupCompanion,
  measureCampaigns,
  rate,
} from './campaign-measurements';
import {
  estimateWithHoldout,
  type GroupCounts,
  type HoldoutEstimate,
  minimumDetectableLift,
  variance,
} from './holdout-estimate';
import { observationalImpact } from './observational-impact';

/**
 * A campaign's impact from its holdout: contacts for the target reasons (and for all reasons,
 * so a shift to another reason is not counted as prevented) per exposed account, from its
 * first exposure to `window_days` after the campaign ends (or now, while it runs).
 */
export async function campaignImpact(deps: Deps, id: string, windowDays?: number) {
  const [campaign] = await deps.db.select().from(campaigns).where(eq(campaigns.id, id));
  if (!campaign) throw notFound(`Campaign ${id}`);
  await catchUpForMeasurement(deps);
  const now = deps.clock.now();
  const days = windowDays ?? deps.config.impactWindowDays;
  const status = campaignStatus(campaign, now);
  const windowEnd = new Date(
    Math.min(now.getTime(), (campaign.endsAt ?? now).getTime() + days * 24 * 60 * 60 * 1000),
  );
  const measured = await measureCampaigns(
    deps.db,
    [{ id, targetReasons: campaign.targetReasons, windowEnd }],
    deps.config.workspaceTimeZone,
  );
  const groups = measured.get(id)?.groups;
  if (!groups) throw notFound(`Campaign ${id}`);
  const group = (name: 'treated' | 'holdout', of: 'target' | 'every'): GroupCounts =>
    groups[name][of];
  const target = estimateWithHoldout(group('treated', 'target'), group('holdout', 'target'));
  const allReasons = estimateWithHoldout(group('treated', 'every'), group('holdout', 'every'));
  return {
    campaign_id: id,
    campaign_status: status,
    measurement: (status === 'ended' && windowEnd < now ? 'final' : 'so_far') as 'final' | 'so_far',
    method: (campaign.holdoutPercent > 0 ? 'holdout' : 'observational') as
      | 'holdout'
      | 'observational',
    window: { days, ends_at: windowEnd.toISOString() },
    target_reasons: campaign.targetReasons,
    target: view(target, deps.config.costPerTicketCents),
    all_reasons: view(allReasons, deps.config.costPerTicketCents),
    detectable: detectable(group('treated', 'target'), group('holdout', 'target')),
    companion: {
      treated: groupCompanion(groups.treated, deps.config.costPerTicketCents),
      holdout: groupCompanion(groups.holdout, deps.config.costPerTicketCents),
      deflection_rate:
        target.status === 'ok'
          ? rate(
              target.prevented.estimate,
              groups.treated.target.contacts + target.prevented.estimate,
            )
          : null,
    },
    ...(campaign.holdoutPercent === 0
      ? { observational: await observationalImpact(deps, campaign, windowEnd) }
      : {}),
  };
}

function view(estimate: HoldoutEstimate, costPerTicketCents: number) {
  if (estimate.status !== 'ok') return { status: estimate.status, reason: estimate.reason };
  const { prevented } = estimate;
  return {
    status: estimate.status,
    treated: estimate.treated,
    holdout: estimate.holdout,
    prevented,
    lift: estimate.lift,
    p_value: estimate.pValue,
    savings_cents: {
      estimate: Math.round(prevented.estimate * costPerTicketCents),
      low: Math.round(prevented.low * costPerTicketCents),
      high: Math.round(prevented.high * costPerTicketCents),
    },
  };
}

/** The smallest relative lift these group sizes can detect (80% power, 5% level). */
function detectable(treated: GroupCounts, holdout: GroupCounts) {
  const both: GroupCounts = {
    accounts: treated.accounts + holdout.accounts,
    contacts: treated.contacts + holdout.contacts,
    sumOfSquares: treated.sumOfSquares + holdout.sumOfSquares,
  };
  const rate = both.accounts > 0 ? both.contacts / both.accounts : 0;
  return {
    minimum_detectable_lift: minimumDetectableLift(
      rate,
      Math.sqrt(variance(both)),
      treated.accounts,
      holdout.accounts,
    ),
  };
}
