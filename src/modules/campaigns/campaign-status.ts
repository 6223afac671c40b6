import type { CampaignRow } from '../../db/schema';
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
