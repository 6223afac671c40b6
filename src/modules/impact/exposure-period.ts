import { sql } from 'drizzle-orm';
import { type CampaignRow, campaigns } from '../../db/schema';

type PeriodColumns = Pick<CampaignRow, 'startsAt' | 'endsAt' | 'cancelledAt'>;

/**
 * When a campaign reached accounts: from its start to its end, or, once cancelled, to its
 * cancellation, when its notices stop showing and its queued emails are dropped. Only a
 * campaign that has not started can be cancelled, so one cancelled after its email went out
 * begins and ends at its cancellation: it is measured from then, not over its planned window.
 */
export function exposurePeriod(row: PeriodColumns): { start: Date | null; end: Date | null } {
  const { startsAt, endsAt, cancelledAt } = row;
  if (!cancelledAt) return { start: startsAt, end: endsAt };
  return { start: startsAt && startsAt < cancelledAt ? startsAt : cancelledAt, end: cancelledAt };
}

const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/** `exposurePeriod(row).end` in SQL: null for a campaign with no end, not cancelled. */
export const exposureEndSql = sql`coalesce(${campaigns.cancelledAt}, ${campaigns.endsAt})`;

/** Campaigns whose exposure period starts before `instant` (least() passes over a null). */
export const exposedBefore = (instant: Date) =>
  sql`least(${campaigns.startsAt}, ${campaigns.cancelledAt}) < ${at(instant)}`;

/** Campaigns whose exposure period has no end, or ends after `instant`. */
export const exposedPast = (instant: Date) =>
  sql`(${exposureEndSql} is null or ${exposureEndSql} > ${at(instant)})`;
