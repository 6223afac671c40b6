import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { and, asc, eq } from 'drizzle-orm';
import { campaignMeasurements, campaigns } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import { dayInput, EARLIEST_YEAR, LATEST_YEAR } from '../../http/time-input';
import { measurementWindow } from '../impact/campaign-assessment';
import { catchUpForMeasurement, measureCampaigns } from '../impact/campaign-measurements';
import { exposedBefore, exposedPast, exposureColumns } from '../impact/exposure-period';
import { ranBy } from '../impact/not-run-impact';
import { estimatesAtOnce } from '../impact/observational-impact';
import {
  type StoredMeasurementJson,
  storedMeasurementColumns,
  usableMeasurement,
} from '../impact/stored-measurements';
import { mondayOf, weeksBack } from '../reasons/weeks';
import { periodMetrics } from './period-metrics';
import type { ReportCampaignRow, ReportInput } from './report-assembly';
import type { PreventedContactsReport } from './report-schemas';

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_REPORT_DAYS = 3 * 366;
export const MAX_REPORT_CAMPAIGNS = 500;

/**
 * The leaders' report for a period: every campaign whose measurement window touches it, with
 * net prevented contacts (every reason) and their interval, the target-reason effect and the
 * contacts shifted to other reasons, savings and the companion metrics of treated and held-out
 * accounts; per reason and per week, the period's contacts with the same metrics and the
 * prevented contacts measured against holdouts (negative for reasons that received contacts);
 * and totals. Period counts are for tickets created in [from, to]; campaign estimates cover
 * each campaign's whole measurement window, which may reach outside the period. Read here,
 * assembled on a compute thread (see `assembleReport`).
 */
export async function preventedContactsReport(
  deps: Deps,
  query: { from?: string; to?: string },
): Promise<PreventedContactsReport> {
  return deps.compute('preventedContactsReport', await reportInput(deps, query));
}

/**
 * The report as `GET /v1/reports/prevented-contacts` sends it: JSON in UTF-8, serialized on
 * the compute thread that assembled it, so the request thread neither builds nor encodes it.
 */
export async function preventedContactsReportJson(
  deps: Deps,
  query: { from?: string; to?: string },
): Promise<Uint8Array<ArrayBuffer>> {
  return deps.compute('preventedContactsReportJson', await reportInput(deps, query));
}

/**
 * A day the caller asked for, checked as the API's query schema checks it: the console's
 * period form passes what was typed, and a well-formed day that does not exist (30 February)
 * would otherwise become an invalid instant.
 */
function calendarDay(day: string | undefined, field: 'from' | 'to'): string | undefined {
  if (day === undefined || dayInput().safeParse(day).success) return day;
  throw new AppError(
    'validation_failed',
    `${day} is not a day of the calendar (YYYY-MM-DD, years ${EARLIEST_YEAR} to ${LATEST_YEAR}).`,
    [{ location: 'query', path: field, message: 'a calendar day, YYYY-MM-DD' }],
  );
}

/**
 * The period a report covers for `query` (to today and 12 weeks back unless asked), checked
 * without reading anything: it ends after it starts and spans at most MAX_REPORT_DAYS.
 */
export function reportPeriod(deps: Deps, query: { from?: string; to?: string }) {
  const zone = deps.config.workspaceTimeZone;
  const toDay =
    calendarDay(query.to, 'to') ?? formatInTimeZone(deps.clock.now(), zone, 'yyyy-MM-dd');
  const fromDay = calendarDay(query.from, 'from') ?? weeksBack(mondayOf(toDay), 12);
  const from = fromZonedTime(`${fromDay}T00:00:00`, zone);
  const to = new Date(fromZonedTime(`${toDay}T00:00:00`, zone).getTime() + DAY_MS);
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS);
  if (from >= to) {
    throw new AppError('validation_failed', `The period ends (${toDay}) before it starts.`, [
      { location: 'query', path: 'from', message: `from must be on or before to (${toDay})` },
    ]);
  }
  if (days > MAX_REPORT_DAYS) {
    throw new AppError(
      'validation_failed',
      `The period spans ${days} days; a report covers at most ${MAX_REPORT_DAYS}.`,
      [{ location: 'query', path: 'from', message: `at most ${MAX_REPORT_DAYS} days before to` }],
    );
  }
  return { fromDay, toDay, from, to };
}

/**
 * What the report reads: the period's campaigns (the columns it shows), their stored
 * measurements as JSON text, measurements and estimates made now for campaigns the
 * measure-campaigns job has not measured lately, and the period's contacts.
 */
async function reportInput(
  deps: Deps,
  query: { from?: string; to?: string },
): Promise<ReportInput> {
  const zone = deps.config.workspaceTimeZone;
  const now = deps.clock.now();
  const { fromDay, toDay, from, to } = reportPeriod(deps, query);
  const windowDays = deps.config.impactWindowDays;
  const selected = await deps.db
    .select({
      id: campaigns.id,
      title: campaigns.title,
      channels: campaigns.channels,
      startsAt: campaigns.startsAt,
      endsAt: campaigns.endsAt,
      publishedAt: campaigns.publishedAt,
      cancelledAt: campaigns.cancelledAt,
      updatedAt: campaigns.updatedAt,
      targetReasons: campaigns.targetReasons,
      holdoutPercent: campaigns.holdoutPercent,
      eventId: campaigns.eventId,
      origin: campaigns.origin,
      ...exposureColumns,
      ...storedMeasurementColumns,
    })
    .from(campaigns)
    .leftJoin(campaignMeasurements, eq(campaignMeasurements.campaignId, campaigns.id))
    .where(
      and(
        ranBy(now),
        // Its measurement window (its exposure period and the days after) touches the period.
        exposedBefore(to),
        exposedPast(new Date(from.getTime() - windowDays * DAY_MS)),
      ),
    )
    .orderBy(asc(campaigns.startsAt), asc(campaigns.id))
    .limit(MAX_REPORT_CAMPAIGNS + 1);
  // Totals over some of the period's campaigns would read as all of them.
  if (selected.length > MAX_REPORT_CAMPAIGNS) {
    throw new AppError(
      'validation_failed',
      `The period has more than ${MAX_REPORT_CAMPAIGNS} campaigns; a report covers at most ` +
        `${MAX_REPORT_CAMPAIGNS}: choose a shorter period.`,
      [{ location: 'query', path: 'from', message: 'a period with fewer campaigns' }],
    );
  }
  // What the measure-campaigns job stored is read; only campaigns it has not measured
  // lately are measured here.
  const rows: ReportCampaignRow[] = [];
  const stored = new Map<string, StoredMeasurementJson>();
  for (const selectedRow of selected) {
    const {
      storedWindowEnd,
      storedAt,
      storedMeasurement,
      storedObservational,
      storedMethodVersion,
      storedObservationalVersion,
      ...row
    } = selectedRow;
    rows.push(row);
    const usable = usableMeasurement(selectedRow, now, windowDays);
    if (usable) stored.set(row.id, usable);
  }
  const live = rows.filter((row) => !stored.has(row.id));
  if (live.length > 0) await catchUpForMeasurement(deps);
  // Estimates not stored yet (a campaign the job has not reached) run beside the measurements.
  const unestimated = rows.filter(
    (row) => row.holdoutPercent === 0 && !stored.get(row.id)?.observational,
  );
  const [measured, period, observational] = await Promise.all([
    measureCampaigns(
      deps.db,
      live.map((row) => ({
        id: row.id,
        targetReasons: row.targetReasons,
        windowEnd: measurementWindow(row, now, windowDays).end,
      })),
      zone,
    ),
    periodMetrics(deps.db, { from, to }, zone),
    estimatesAtOnce(
      deps,
      unestimated,
      (row) => measurementWindow(row, stored.get(row.id)?.measuredAt ?? now, windowDays).end,
    ),
  ]);
  return {
    fromDay,
    toDay,
    zone,
    currency: deps.config.currency,
    perTicket: deps.config.costPerTicketCents,
    windowDays,
    now,
    campaigns: rows,
    stored,
    measured,
    observational,
    period,
  };
}
