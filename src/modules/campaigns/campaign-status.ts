import { and, gt, isNotNull, isNull, lte, or, type SQL } from 'drizzle-orm';
import { type CampaignRow, campaigns } from '../../db/schema';
import type { CampaignStatus } from './campaign-input';

/** The lifecycle state at `now`: derived, never stored, so the clock alone moves it. */
export function campaignStatus(
  row: Pick<CampaignRow, 'publishedAt' | 'cancelledAt' | 'startsAt' | 'endsAt'>,
  now: Date,
): CampaignStatus {
  if (row.cancelledAt) return 'cancelled';
  if (!row.publishedAt) return 'draft';
  if (row.endsAt && row.endsAt <= now) return 'ended';
  return row.startsAt && row.startsAt <= now ? 'active' : 'scheduled';
}

/** Published and not cancelled: scheduled, active or ended, by the clock. */
export const publishedCampaign = and(
  isNotNull(campaigns.publishedAt),
  isNull(campaigns.cancelledAt),
);

/** Campaigns without an end, or ending after `instant`. */
export const runsPast = (instant: Date) =>
  or(isNull(campaigns.endsAt), gt(campaigns.endsAt, instant));

/** The SQL condition for a lifecycle state at `now`, mirroring `campaignStatus`. */
export function statusCondition(status: CampaignStatus, now: Date): SQL | undefined {
  switch (status) {
    case 'cancelled':
      return isNotNull(campaigns.cancelledAt);
    case 'draft':
      return and(isNull(campaigns.publishedAt), isNull(campaigns.cancelledAt));
    case 'ended':
      return and(publishedCampaign, lte(campaigns.endsAt, now));
    case 'active':
      return and(publishedCampaign, runsPast(now), lte(campaigns.startsAt, now));
    case 'scheduled':
      return and(publishedCampaign, runsPast(now), gt(campaigns.startsAt, now));
  }
}
