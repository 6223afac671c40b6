import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import type { Audience } from './audience';
import { audienceSize } from './audience-sql';
import { hasInAppChannel } from './notice-audience';

export type CampaignReach = {
  /** Accounts the audience rule matches now. */
  audience: number;
  /**
   * Accounts that were first shown or sent it (treated) or would have been (held out), by now:
   * a held-out account's email moment still to come counts no more than a queued email does.
   */
  exposed: { treated: number; holdout: number; by_channel: Record<string, number> };
  /** Accounts it was shown (treated) that dismissed it. */
  dismissed: number;
};

/**
 * Accounts that dismissed campaign `campaignId` after it was shown to them. Only an in-app
 * campaign is dismissed, and only by an account it was shown (treated). The API has refused
 * any other dismissal since it checked; rows stored before it did are left out here rather
 * than deleted.
 */
export const dismissedCount = (campaignId: string) => sql`
  select count(*)::int as n from notice_dismissals d
  join campaigns c on c.id = d.campaign_id
  where d.campaign_id = ${campaignId}
    and ${hasInAppChannel(sql`c.channels`)}
    and exists (select 1 from exposures e
                where e.campaign_id = d.campaign_id and e.account_id = d.account_id
                  and e."group" = 'treated')`;

/**
 * How far a campaign went: who it is for now, who met it, who waved it away. Exposures are
 * those already folded from the buffer (a job does that every few seconds).
 */
export async function campaignReach(
  deps: Deps,
  campaign: { id: string; audience: Audience },
): Promise<CampaignReach> {
  const now = deps.clock.now().toISOString();
  const [audience, exposed, dismissed] = await Promise.all([
    audienceSize(deps.db, campaign.audience),
    deps.db.execute(sql`
      select "group", channel, count(*)::int as n from exposures
      where campaign_id = ${campaign.id} and first_at <= ${now} group by "group", channel`),
    deps.db.execute(dismissedCount(campaign.id)),
  ]);
  const reach: CampaignReach = {
    audience,
    exposed: { treated: 0, holdout: 0, by_channel: {} },
    dismissed: rowsOf<{ n: number }>(dismissed)[0]?.n ?? 0,
  };
  for (const row of rowsOf<{ group: 'treated' | 'holdout'; channel: string; n: number }>(exposed)) {
    reach.exposed[row.group] += row.n;
    if (row.group === 'treated') {
      reach.exposed.by_channel[row.channel] = (reach.exposed.by_channel[row.channel] ?? 0) + row.n;
    }
  }
  return reach;
}
