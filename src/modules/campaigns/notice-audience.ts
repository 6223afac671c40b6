import { type SQL, sql } from 'drizzle-orm';
import { jsonParam } from '../../db/json-param';
import type { CampaignChannel, CampaignRow } from '../../db/schema';
import {
  type Audience,
  type AudienceMatcher,
  type AudienceSubject,
  compileAudience,
} from './audience';
import { campaignStatus } from './campaign-status';
import { isHeldOut } from './holdout';

/*
 * Who is shown a campaign's in-app notice: one rule for the notices answer, the console's
 * account page that explains it, a dismissal and the campaign page's dismissed count, so that
 * a change to it reaches them all (test/modules/notices/notice-audience.test.ts asks all four).
 */

/** The channels the notices API shows in the product's pages (email is sent, not shown). */
export const IN_APP_CHANNELS = ['banner', 'status'] as const satisfies readonly CampaignChannel[];
export type InAppChannel = (typeof IN_APP_CHANNELS)[number];

export const isInAppChannel = (channel: string): channel is InAppChannel =>
  (IN_APP_CHANNELS as readonly string[]).includes(channel);

/** `isInAppChannel` for some channel of a campaign, in SQL: `channels` is the jsonb column. */
export const hasInAppChannel = (channels: SQL): SQL =>
  sql`(${sql.join(
    IN_APP_CHANNELS.map((channel) => sql`${channels} @> ${jsonParam([channel])}`),
    sql` or `,
  )})`;

/** A campaign shown in apps, its audience compiled: what the decision needs of it. */
export type InAppTarget = {
  id: string;
  channels: InAppChannel[];
  holdoutPercent: number;
  matches: AudienceMatcher;
};

/** The campaign's in-app side, its audience rule compiled; null when it has no in-app channel. */
export function inAppTarget(
  campaign: Pick<CampaignRow, 'id' | 'channels' | 'audience' | 'holdoutPercent'>,
): InAppTarget | null {
  const channels = campaign.channels.filter(isInAppChannel);
  if (channels.length === 0) return null;
  return {
    id: campaign.id,
    channels,
    holdoutPercent: campaign.holdoutPercent,
    matches: compileAudience(campaign.audience as Audience),
  };
}

/** An account as the decision reads it: what its audience rules see, and what it dismissed. */
export type NoticeViewer = AudienceSubject & { dismissed: ReadonlySet<string> };

/** What an account gets of an in-app notice that runs, and why. */
export type NoticeVerdict = 'shown' | 'dismissed' | 'held_out' | 'not_in_audience';

/**
 * Outside the audience, held out to measure the campaign (the account's holdout bucket), or
 * treated: shown unless it dismissed the notice. Runs for every live notice whenever an answer
 * is computed, so it does no more than the match and the holdout hash.
 */
export function noticeVerdict(
  notice: Pick<InAppTarget, 'id' | 'holdoutPercent' | 'matches'>,
  account: NoticeViewer,
): NoticeVerdict {
  if (!notice.matches(account)) return 'not_in_audience';
  if (isHeldOut(notice.id, account.id, notice.holdoutPercent)) return 'held_out';
  return account.dismissed.has(notice.id) ? 'dismissed' : 'shown';
}

/** Treated: in the audience and not held out, whether or not the account dismissed it since. */
const isTreated = (verdict: NoticeVerdict) => verdict === 'shown' || verdict === 'dismissed';

/**
 * Whether the notices API shows this campaign to the account, or did while it ran (its
 * dismissal, then, is one to take): an in-app campaign that has started (active, or ended
 * since), whose audience takes the account now and whose holdout does not keep it out.
 */
export function shownInApp(
  campaign: Pick<CampaignRow, 'id' | 'channels' | 'audience' | 'holdoutPercent'> &
    Parameters<typeof campaignStatus>[0],
  account: NoticeViewer,
  now: Date,
): boolean {
  const status = campaignStatus(campaign, now);
  if (status !== 'active' && status !== 'ended') return false;
  const target = inAppTarget(campaign);
  return target !== null && isTreated(noticeVerdict(target, account));
}
