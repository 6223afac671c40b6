import { getTableName, sql } from 'drizzle-orm';
import { type CampaignRow, campaigns, emailDeliveries } from '../../db/schema';

/** What a campaign's exposure period is read from: its columns, and its first email. */
export type ExposureColumns = Pick<
  CampaignRow,
  'startsAt' | 'endsAt' | 'publishedAt' | 'cancelledAt'
> & {
  /** When its first email went out, as `firstEmailAtSql` selects it (read for a cancelled one). */
  firstEmailAt: Date | null;
};

/** What the start of an exposure period is: which moment it begins at. */
export type ExposureStart = 'start' | 'publication' | 'first_email' | 'cancellation';

export type ExposurePeriod = { start: Date | null; end: Date | null; from: ExposureStart | null };

/**
 * When a campaign reached accounts. Nothing is shown or sent before it is published, so it
 * starts at the later of its start and its publication: a campaign published with a start
 * already past (back-dated) is measured from its publication. It ends at its end or, once
 * cancelled, at its cancellation, when its notices stop showing and its queued emails are
 * dropped. Only a campaign that has not started can be cancelled, so one cancelled after its
 * email went out reached accounts from that email (a scheduled campaign's email may go out
 * before its start) to its cancellation; one cancelled with no email sent, from its cancellation.
 * `exposureStartSql` and `exposureEndSql` say the same in SQL.
 */
export function exposurePeriod(row: ExposureColumns): ExposurePeriod {
  const { startsAt, endsAt, publishedAt, cancelledAt } = row;
  // A draft's planned start, if any, is all there is.
  const backDated = startsAt && publishedAt && publishedAt > startsAt;
  const reached = backDated ? publishedAt : startsAt;
  const reachedFrom: ExposureStart = backDated ? 'publication' : 'start';
  if (!cancelledAt) return { start: reached, end: endsAt, from: reached && reachedFrom };
  let start = cancelledAt;
  let from: ExposureStart = 'cancellation';
  const earlier: [Date | null, ExposureStart][] = [
    [reached, reachedFrom],
    [row.firstEmailAt, 'first_email'],
  ];
  for (const [instant, kind] of earlier) {
    if (instant && instant < start) [start, from] = [instant, kind];
  }
  return { start, end: cancelledAt, from };
}

const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/**
 * The campaign's id, named with its table: selecting from one table, drizzle names a column of
 * a selected expression bare, which inside the subquery below would be the delivery's own.
 */
const campaignIdColumn = sql`${sql.identifier(getTableName(campaigns))}.${sql.identifier(campaigns.id.name)}`;

/** When the campaign's first email went out, or null; selected beside a cancelled campaign. */
export const firstEmailAtSql = sql<Date | null>`case when ${campaigns.cancelledAt} is not null
  then (select min(d.sent_at) from ${emailDeliveries} d where d.campaign_id = ${campaignIdColumn})
  end`.mapWith(emailDeliveries.sentAt);

/** The columns a campaign's exposure period needs beyond its own, to select beside them. */
export const exposureColumns = { firstEmailAt: firstEmailAtSql };

/**
 * `exposurePeriod(row).start` in SQL. greatest() and least() pass over nulls, as the
 * function does: a draft's is its planned start; a campaign cancelled with no email sent
 * starts at its cancellation.
 */
export const exposureStartSql = sql`case when ${campaigns.cancelledAt} is null
  then greatest(${campaigns.startsAt}, ${campaigns.publishedAt})
  else least(greatest(${campaigns.startsAt}, ${campaigns.publishedAt}), ${firstEmailAtSql},
             ${campaigns.cancelledAt}) end`;

/** `exposurePeriod(row).end` in SQL: null for a campaign with no end, not cancelled. */
export const exposureEndSql = sql`coalesce(${campaigns.cancelledAt}, ${campaigns.endsAt})`;

/** Campaigns whose exposure period starts before `instant`. */
export const exposedBefore = (instant: Date) => sql`${exposureStartSql} < ${at(instant)}`;

/** Campaigns whose exposure period has no end, or ends after `instant`. */
export const exposedPast = (instant: Date) =>
  sql`(${exposureEndSql} is null or ${exposureEndSql} > ${at(instant)})`;
