import { formatInTimeZone } from 'date-fns-tz';
import { eq, sql } from 'drizzle-orm';
import pLimit from 'p-limit';
import { arrayParam, rowsOf } from '../../db/json-param';
import { type CampaignRow, events } from '../../db/schema';
import type { Deps } from '../../deps';
import { occurrencesBetween } from '../events/occurrences';
import { addWeeks, currentWeek, weeksBetween } from '../reasons/weeks';
import { weeklyOverlap, weekStarts } from '../spikes/week-overlap';
import { type ExposureColumns, exposurePeriod } from './exposure-period';
import { historyProblem, weeksWithTickets } from './missing-weeks';
import {
  historyTooShort,
  MIN_HISTORY_WEEKS,
  type ObservationalEstimate,
} from './observational-estimate';
import { ownCauseRefusal } from './own-cause';
import { HOURS_PER_WEEK, windowShares } from './week-shares';

const HISTORY_WEEKS = 156;
/** Observational estimates computed at once (the rest queue for their turn). */
const ESTIMATES_AT_ONCE = 3;
const PROFILE_WEEKS = 12;

/** Hours since Monday 00:00 of the instant's week, on the workspace's clock. */
const hourOfWeek = (instant: Date, zone: string) => {
  const [day, hour, minute] = formatInTimeZone(instant, zone, 'i H m').split(' ').map(Number);
  return ((day ?? 1) - 1) * 24 + (hour ?? 0) + (minute ?? 0) / 60;
};

type ObservationalCampaign = ExposureColumns &
  Pick<CampaignRow, 'targetReasons' | 'eventId' | 'origin'>;

/**
 * The observational estimate for a campaign without a holdout: the weekly contacts of its
 * target reasons (every reason when it names none) in up to three years of whole weeks before
 * its start week, the linked event's windows when it has one, the hour-of-week profile of the
 * 12 weeks before, and the contacts observed from the start of its exposure period (the later
 * of its start and its publication, or its first email when that went out before; for one
 * cancelled before its start with no email sent, its cancellation; see `exposurePeriod`) to
 * the window's end. None for an incident's or a maintenance's banner (see `ownCauseRefusal`).
 */
export async function observationalImpact(
  deps: Deps,
  campaign: ObservationalCampaign,
  windowEnd: Date,
): Promise<ObservationalEstimate> {
  const ownCause = ownCauseRefusal(campaign.origin);
  if (ownCause) return { status: 'insufficient_data', reason: ownCause };
  const { start } = exposurePeriod(campaign);
  if (!start) return { status: 'insufficient_data', reason: 'the campaign has not been published' };
  if (windowEnd <= start) {
    return { status: 'insufficient_data', reason: 'the campaign has not started yet' };
  }
  const zone = deps.config.workspaceTimeZone;
  const startWeek = currentWeek(start, zone);
  const endHour = hourOfWeek(windowEnd, zone);
  // A window ending on a Monday at midnight ends with the week before.
  const lastWeek =
    endHour === 0 ? addWeeks(currentWeek(windowEnd, zone), -1) : currentWeek(windowEnd, zone);
  const firstWeek = addWeeks(startWeek, -HISTORY_WEEKS);
  const targets = campaign.targetReasons;
  const isTarget = (column: string) =>
    targets.length === 0 ? sql`true` : sql`${sql.raw(column)} = any(${arrayParam(targets)})`;
  const profileFrom = new Date(start.getTime() - PROFILE_WEEKS * 7 * 86_400_000);
  const [weekly, seen, received] = await Promise.all([
    deps.db.execute(sql`
      select week::text as week, sum(contacts)::int as contacts from reason_weeks
      where week >= ${firstWeek}::date and week < ${startWeek}::date and ${isTarget('reason_slug')}
      group by week`),
    deps.db.execute(sql`
      select (created_at >= ${start.toISOString()}) as in_window,
             extract(isodow from created_at at time zone ${zone})::int as day,
             extract(hour from created_at at time zone ${zone})::int as hour,
             count(*)::int as contacts
      from tickets
      where created_at >= ${profileFrom.toISOString()} and created_at < ${windowEnd.toISOString()}
        and (created_at >= ${start.toISOString()}
             or created_at < ${startWeekStart(startWeek, zone)})
        and ${isTarget('reason_slug')}
      group by 1, 2, 3`),
    weeksWithTickets(deps, firstWeek, addWeeks(startWeek, -1)),
  ]);
  const byWeek = new Map(
    rowsOf<{ week: string; contacts: number }>(weekly).map((r) => [r.week, r.contacts]),
  );
  const weeks = weeksBetween(firstWeek, addWeeks(startWeek, -1));
  const counts = weeks.map((week) => (received.has(week) ? (byWeek.get(week) ?? 0) : null));
  // A reason's history starts with its first contact, not years of zeros before it existed.
  const firstContact = counts.findIndex((count) => (count ?? 0) > 0);
  const history = firstContact < 0 ? [] : counts.slice(firstContact);
  const problem = historyProblem(
    weeks[firstContact] ?? startWeek,
    history,
    MIN_HISTORY_WEEKS,
    historyTooShort,
  );
  if (problem) return { status: 'insufficient_data', reason: problem };
  const profile = new Array<number>(HOURS_PER_WEEK).fill(0);
  let observed = 0;
  for (const row of rowsOf<{ in_window: boolean; day: number; hour: number; contacts: number }>(
    seen,
  )) {
    if (row.in_window) observed += row.contacts;
    else
      profile[(row.day - 1) * 24 + row.hour] =
        (profile[(row.day - 1) * 24 + row.hour] ?? 0) + row.contacts;
  }
  const historyWeeks = weeks.slice(firstContact);
  const windowWeeks = weeksBetween(startWeek, lastWeek);
  return deps.compute('observational', {
    firstWeek: historyWeeks[0] ?? startWeek,
    history,
    eventOverlap: await eventOverlap(deps, campaign.eventId, [...historyWeeks, ...windowWeeks]),
    windowShares: windowShares(
      profile,
      windowWeeks.length,
      hourOfWeek(start, zone),
      endHour || HOURS_PER_WEEK,
    ),
    observed,
  });
}

const startWeekStart = (monday: string, zone: string) =>
  new Date(weekStarts([monday], zone)[0] ?? 0).toISOString();

/** The overlap of each week with the linked event's (padded) windows. */
async function eventOverlap(
  deps: Deps,
  eventId: string | null,
  weeks: string[],
): Promise<number[] | undefined> {
  if (!eventId || weeks.length === 0) return undefined;
  const [event] = await deps.db.select().from(events).where(eq(events.id, eventId));
  if (!event) return undefined;
  const starts = weekStarts(weeks, deps.config.workspaceTimeZone);
  const occurrences = occurrencesBetween(
    event,
    new Date(starts[0] ?? 0),
    new Date((starts.at(-1) ?? 0) + 7 * 86_400_000),
    { padded: true, timeZone: deps.config.workspaceTimeZone },
  );
  return weeklyOverlap(occurrences, starts);
}

/**
 * The observational estimates of `campaigns` to the window end each is given, a few at a
 * time: each reads the database, then waits for a compute thread, so the next one's reads
 * overlap its computing.
 */
export async function estimatesAtOnce<Campaign extends ObservationalCampaign & { id: string }>(
  deps: Deps,
  campaigns: Campaign[],
  windowEnd: (campaign: Campaign) => Date,
): Promise<Map<string, ObservationalEstimate>> {
  const estimating = pLimit(ESTIMATES_AT_ONCE);
  return new Map(
    await Promise.all(
      campaigns.map((campaign) =>
        estimating(
          async () =>
            [campaign.id, await observationalImpact(deps, campaign, windowEnd(campaign))] as const,
        ),
      ),
    ),
  );
}
