import { getTableName, sql } from 'drizzle-orm';
import { type CampaignRow, campaigns, emailDeliveries } from '../../db/schema';

/** What a campaign's exposure period is read from: its columns, and its first email. */
export type ExposureColumns = Pick<
  CampaignRow,
  'startsAt' | 'endsAt' | 'publishedAt' | 'cancelledAt'
> & {
  /** When its first email went out, as `firstEmailAtSql` selects it. */
  firstEmailAt: Date | null;
};

/** What the start of an exposure period is: which moment it begins at. */
export type ExposureStart = 'start' | 'publication' | 'first_email' | 'cancellation';

export type ExposurePeriod = { start: Date | null; end: Date | null; from: ExposureStart | null };

/**
 * When a campaign reached accounts. Nothing is shown or sent before it is published, so its
 * notices reach accounts from the later of its start and its publication: a campaign
 * published with a start already past (back-dated) is measured from its publication. Its
 * email may go out before that (a heads-up sent days before a maintenance), and then it is
 * measured from its first email. It ends at its end or, once cancelled, at its cancellation,
 * when its notices stop showing and its queued emails are dropped. Only a campaign that has
 * not started can be cancelled: one cancelled with no email sent reached accounts from its
 * cancellation, which is where it starts. `exposureStartSql` and `exposureEndSql` say the
 * same in SQL.
 */
export function exposurePeriod(row: ExposureColumns): ExposurePeriod {
  const { startsAt, endsAt, publishedAt, cancelledAt } = row;
  // A draft's planned start, if any, is all there is.
  const backDated = startsAt && publishedAt && publishedAt > startsAt;
  let start = backDated ? publishedAt : startsAt;
  let from: ExposureStart | null = start && (backDated ? 'publication' : 'start');
  const earlier: [Date | null, ExposureStart][] = [
    [row.firstEmailAt, 'first_email'],
    [cancelledAt, 'cancellation'],
  ];
  for (const [instant, kind] of earlier) {
    if (instant && (!start || instant < start)) [start, from] = [instant, kind];
  }
  return { start, end: cancelledAt ?? endsAt, from };
}

const at = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/**
 * The campaign's id, named with its table: selecting from one table, drizzle names a column of
 * a selected expression bare, which inside the subquery below would be the delivery's own.
 */
const campaignIdColumn = sql`${sql.identifier(getTableName(campaigns))}.${sql.identifier(campaigns.id.name)}`;

/**
 * When the campaign's first email went out, or null: one step down
 * `email_deliveries_campaign_sent_idx`, however many the campaign sent.
 */
export const firstEmailAtSql = sql<Date | null>`(select min(d.sent_at) from ${emailDeliveries} d
  where d.campaign_id = ${campaignIdColumn} and d.sent_at is not null)`.mapWith(
  emailDeliveries.sentAt,
);

/** The columns a campaign's exposure period needs beyond its own, to select beside them. */
export const exposureColumns = { firstEmailAt: firstEmailAtSql };

/**
 * `exposurePeriod(row).start` in SQL. greatest() and least() pass over nulls, as the
 * function does: a draft's is its planned start; a campaign cancelled with no email sent
 * starts at its cancellation.
 */
export const exposureStartSql = sql`least(greatest(${campaigns.startsAt}, ${campaigns.publishedAt}),
  ${firstEmailAtSql}, ${campaigns.cancelledAt})`;

/** `exposurePeriod(row).end` in SQL: null for a campaign with no end, not cancelled. */
export const exposureEndSql = sql`coalesce(${campaigns.cancelledAt}, ${campaigns.endsAt})`;

/** Campaigns whose exposure period starts before `instant`. */
export const exposedBefore = (instant: Date) => sql`${exposureStartSql} < ${at(instant)}`;

/** Campaigns whose exposure period has no end, or ends after `instant`. */
export const exposedPast = (instant: Date) =>
  sql`(${exposureEndSql} is null or ${exposureEndSql} > ${at(instant)})`;
