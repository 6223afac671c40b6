import { and, gt, isNotNull, isNull, lte, or, type SQL } from 'drizzle-orm';
import { type CampaignRow, campaigns } from '../../db/schema';
import type { CampaignPatch, CampaignStatus } from './campaign-input';

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

/**
 * Why a campaign in `status` cannot take this change (a conflict with its state, answered 409),
 * or undefined: an ended or cancelled campaign takes none, `status` must be a step of the
 * lifecycle from where the campaign is, an active one keeps the start it started with, and
 * the holdout `moves` only before accounts were split (not active, nor `reached` by an email
 * before its start).
 * These values are well formed; what refuses them is the campaign's state, so they are
 * decided here rather than as invalid fields.
 */
export function lifecycleConflict(
  status: CampaignStatus,
  change: Pick<CampaignPatch, 'status' | 'starts_at'>,
  current: Pick<CampaignRow, 'startsAt'>,
  holdout: { moves: boolean; reached: boolean },
): string | undefined {
  if (status === 'ended') return 'The campaign has ended; it can no longer change.';
  if (status === 'cancelled') return 'The campaign was cancelled; it can no longer change.';
  // Moving accounts between groups after exposure would corrupt the measurement.
  if (holdout.moves && (status === 'active' || holdout.reached)) {
    return status === 'active'
      ? 'The campaign is active; its holdout_percent cannot change once accounts are split into groups.'
      : 'The campaign’s email has gone out already; its holdout_percent cannot change once ' +
          'accounts are split into groups.';
  }
  if (status === 'active') {
    const startsAt = change.starts_at;
    if (startsAt !== undefined && new Date(startsAt).getTime() !== current.startsAt?.getTime()) {
      return 'The campaign is active; it has started, so starts_at cannot change. End it (status ended) instead.';
    }
  }
  switch (change.status) {
    case 'scheduled':
      return status === 'draft'
        ? undefined
        : `The campaign is ${status} already; only a draft can be published.`;
    case 'ended':
      return status === 'active'
        ? undefined
        : `The campaign is ${status === 'draft' ? 'a draft' : status}; only an active ` +
            'campaign can end. One that has not started is cancelled (status cancelled).';
    case 'cancelled':
      return status === 'active'
        ? 'The campaign is active; an active campaign ends (status ended), it is not cancelled.'
        : undefined;
    case undefined:
      return undefined;
  }
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
