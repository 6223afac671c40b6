import { sql } from 'drizzle-orm';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import type { Audience, AudienceSubject } from '../campaigns/audience';
import { audienceMembers } from '../campaigns/audience-members';
import { minimumDetectableLift } from './holdout-estimate';
import { isTargetReason } from './target-reasons';

/** The lift a holdout should be able to detect (DESIGN.md section 6). */
export const HOPED_FOR_LIFT = 0.2;
const RECENT_DAYS = 56;
const DAY_MS = 24 * 60 * 60 * 1000;

export type CampaignWarning = {
  code: 'holdout_too_small';
  message: string;
  minimum_detectable_lift: number | null;
};

/**
 * Whether a campaign's holdout can detect a 20% lift on its audience's expected contacts:
 * the audience's recent contact rate for the target reasons (last 8 weeks, Poisson spread),
 * scaled to the measurement window, split by the holdout share. A warning, never an error.
 */
export async function holdoutWarnings(
  deps: Deps,
  campaign: {
    audience: Audience;
    holdout_percent: number;
    target_reasons: string[];
    starts_at?: string | null;
    ends_at?: string | null;
  },
  /** The audience's members, when the caller has read them already. */
  members?: AudienceSubject[],
): Promise<CampaignWarning[]> {
  if (campaign.holdout_percent === 0) return [];
  const now = deps.clock.now();
  const accounts = members ?? (await audienceMembers(deps.db, campaign.audience));
  const [counted] = rowsOf<{ contacts: number }>(
    await deps.db.execute(sql`
      select count(*)::int as contacts from tickets t
      where t.account_id in (select jsonb_array_elements_text(${jsonParam(accounts.map((a) => a.id))}))
        and t.created_at >= ${new Date(now.getTime() - RECENT_DAYS * DAY_MS).toISOString()}
        and ${isTargetReason(sql`t.reason_slug`, campaign.target_reasons)}`),
  );
  const starts = campaign.starts_at ? new Date(campaign.starts_at) : now;
  const ends = campaign.ends_at
    ? new Date(campaign.ends_at)
    : new Date(starts.getTime() + 7 * DAY_MS);
  const windowDays = (ends.getTime() - starts.getTime()) / DAY_MS + deps.config.impactWindowDays;
  const recent = counted?.contacts ?? 0;
  const rate = accounts.length > 0 ? (recent / accounts.length / RECENT_DAYS) * windowDays : 0;
  const held = Math.round((accounts.length * campaign.holdout_percent) / 100);
  // Poisson spread: the audience's counts are not known per account before it is split.
  const mde = minimumDetectableLift(rate, Math.sqrt(rate), accounts.length - held, held);
  if (mde !== null && mde <= HOPED_FOR_LIFT) return [];
  return [
    {
      code: 'holdout_too_small',
      message:
        mde === null
          ? `The audience (${accounts.length} accounts) had no contacts for the target reasons in the last ${RECENT_DAYS} days, so no holdout can show a ${HOPED_FOR_LIFT * 100}% lift.`
          : `With ${accounts.length} accounts and a ${campaign.holdout_percent}% holdout, the smallest lift this campaign can show is about ${Math.round(mde * 100)}%; a ${HOPED_FOR_LIFT * 100}% lift would go unnoticed. Raise the holdout or widen the audience.`,
      minimum_detectable_lift: mde,
    },
  ];
}
