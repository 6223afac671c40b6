import { and, between, inArray } from 'drizzle-orm';
import { spikeAlerts } from '../../db/schema';
import type { Deps } from '../../deps';
import { checkOccurrenceRange, listOccurrences } from '../events/events.service';
import type { WeeklySeries } from '../reasons/reason-schemas';
import {
  type SeriesWeeks,
  seriesWeeks,
  type WeeklyQuery,
  weeklySeries,
} from '../reasons/weekly-series.service';
import { addWeeks, mondayOf } from '../reasons/weeks';
import type { WeeklyChartInput } from './report-charts';
import type { ReportCampaign } from './report-schemas';

export type CampaignWindow = { title: string; starts_at: string; ends_at: string };

/**
 * The report's campaigns as the chart bands them: over the exposure period each was measured
 * for (see `exposurePeriod`), not its planned dates, which a back-dated or cancelled campaign
 * never kept; to its window's end when it has no end.
 */
export const measuredWindows = (campaigns: ReportCampaign[]): CampaignWindow[] =>
  campaigns.flatMap(({ title, exposure, window_ends_at }) =>
    exposure.measured_from
      ? [{ title, starts_at: exposure.measured_from, ends_at: exposure.ends_at ?? window_ends_at }]
      : [],
  );

/** The chart's calendar: from its first Monday to the end of its last week. */
const calendarRange = (first: string, last: string) => ({
  from: new Date(`${first}T00:00:00Z`),
  to: new Date(`${addWeeks(last, 1)}T00:00:00Z`),
});

/**
 * The weeks `weeklyChartInput` draws for `query`, checked for the series and for the calendar
 * over them (a period either refuses is refused here, before the chart reads anything else).
 */
export async function chartWeeks(
  deps: Deps,
  query: Pick<WeeklyQuery, 'from' | 'to'>,
): Promise<SeriesWeeks> {
  const span = await seriesWeeks(deps, query);
  checkOccurrenceRange(calendarRange(span.from, span.to));
  return span;
}

/**
 * What the weekly contacts chart shows: the reasons' weekly series, their stored spikes, the
 * event windows over those weeks and, optionally, campaign windows, each clamped to the chart.
 * Over `span` when the caller checked it already (`chartWeeks`).
 */
export async function weeklyChartInput(
  deps: Deps,
  query: WeeklyQuery,
  campaigns: CampaignWindow[] = [],
  span?: SeriesWeeks,
): Promise<{ weekly: WeeklySeries; chart: WeeklyChartInput }> {
  const weekly = await weeklySeries(deps, query, span);
  const reasons = weekly.series.map((s) => s.reason);
  const first = weekly.weeks[0] ?? '';
  const last = weekly.weeks.at(-1) ?? '';
  const [spikes, occurrences] = await Promise.all([
    reasons.length === 0
      ? []
      : deps.db
          .select({
            reason: spikeAlerts.reasonSlug,
            week: spikeAlerts.week,
            observed: spikeAlerts.observed,
          })
          .from(spikeAlerts)
          .where(
            and(inArray(spikeAlerts.reasonSlug, reasons), between(spikeAlerts.week, first, last)),
          ),
    listOccurrences(deps, calendarRange(first, last)),
  ]);
  const labelOf = new Map(weekly.series.map((s) => [s.reason, s.label]));
  // The middle of the three (ISO dates sort as strings) clamps a week into the chart.
  const clamp = (iso: string) => [first, mondayOf(iso.slice(0, 10)), last].sort()[1] ?? first;
  const window = (w: { title: string; starts_at: string; ends_at: string }) => ({
    title: w.title,
    fromWeek: clamp(w.starts_at),
    toWeek: clamp(w.ends_at),
  });
  return {
    weekly,
    chart: {
      weeks: weekly.weeks,
      series: weekly.series.map((s) => ({ label: s.label, counts: s.counts })),
      spikes: spikes.map((s) => ({
        label: labelOf.get(s.reason) ?? s.reason,
        week: s.week,
        observed: s.observed,
      })),
      events: occurrences.map(window),
      campaigns: campaigns.map(window),
    },
  };
}
