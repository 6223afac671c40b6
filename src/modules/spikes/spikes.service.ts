import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import { listOccurrences } from '../events/events.service';
import type { Occurrence } from '../events/occurrences';
import { addWeeks, currentWeek, mondayOf, weekCount, weeksBetween } from '../reasons/weeks';
import { DEFAULT_DETECT_OPTIONS, detectSpikes, type EventTerm } from './detect';
import { weeklyOverlap, weekStarts } from './week-overlap';

/** Weeks of history loaded before the first evaluated week: the model's training window. */
const HISTORY_WEEKS = 160;
export const MAX_DETECTION_WEEKS = 1_100;

export type SpikeView = {
  week: string;
  reason: string;
  label: string;
  observed: number;
  expected: number;
  excess: number;
  probability: number;
  severity: 'low' | 'medium' | 'high';
  method: 'ears_c2' | 'count_model';
  events: {
    event_id: string;
    title: string;
    kind: string;
    occurrences: { starts_at: string; ends_at: string }[];
    share: number;
    contacts: number;
    attribution: 'model' | 'overlap';
  }[];
  unexplained: number;
};

export type SpikeReport = {
  from: string;
  to: string;
  time_zone: string;
  alpha: number;
  reasons_tested: number;
  insufficient_history: { reason: string; history_weeks: number; needed_weeks: number }[];
  spikes: SpikeView[];
};

/**
 * Runs detection over [from, to] for every reason (the multiple-testing correction counts
 * all of them), then keeps the asked-for reason. Reads only the weekly rollup and events.
 */
export async function findSpikes(
  deps: Deps,
  query: { from?: string; to?: string; reason?: string },
): Promise<SpikeReport> {
  const zone = deps.config.workspaceTimeZone;
  const to = query.to ? mondayOf(query.to) : addWeeks(currentWeek(deps.clock.now(), zone), -1);
  const from = query.from ? mondayOf(query.from) : addWeeks(to, -12);
  if (from > to || weekCount(from, to) > MAX_DETECTION_WEEKS) {
    throw new AppError(
      'validation_failed',
      `Ask for 1 to ${MAX_DETECTION_WEEKS} weeks, from before to.`,
      [{ location: 'query', path: 'from', message: 'must be before to and within range' }],
    );
  }
  const loadFrom = addWeeks(from, -HISTORY_WEEKS);
  const weeks = weeksBetween(loadFrom, to);
  const index = new Map(weeks.map((week, i) => [week, i]));

  const rows = rowsOf<{ reason_slug: string; label: string; week: string; contacts: number }>(
    await deps.db.execute(sql`
      select w.reason_slug, r.label, w.week::text as week, w.contacts
      from reason_weeks w join reasons r on r.slug = w.reason_slug
      where w.week between ${loadFrom}::date and ${to}::date`),
  );
  const labels = new Map<string, string>();
  const counts = new Map<string, number[]>();
  for (const row of rows) {
    labels.set(row.reason_slug, row.label);
    let series = counts.get(row.reason_slug);
    if (!series) {
      series = weeks.map(() => 0);
      counts.set(row.reason_slug, series);
    }
    const i = index.get(row.week);
    if (i !== undefined) series[i] = row.contacts;
  }
  if (query.reason && !counts.has(query.reason)) {
    const known = await deps.db.execute(sql`select 1 from reasons where slug = ${query.reason}`);
    if (rowsOf(known).length === 0)
      throw new AppError('not_found', `Reason ${query.reason} was not found.`);
  }

  const starts = weekStarts(weeks, zone);
  const rangeEnd = new Date((starts.at(-1) ?? 0) + 7 * 24 * 60 * 60 * 1000);
  const occurrences = await listOccurrences(deps, {
    from: new Date(starts[0] ?? 0),
    to: rangeEnd,
    padded: true,
  });
  const terms = eventTerms(occurrences, starts);

  const series = [...counts].map(([reason, c]) => ({ reason, counts: c }));
  const range = { from: index.get(from) ?? 0, to: index.get(to) ?? weeks.length - 1 };
  const verdicts = detectSpikes(series, terms.terms, range);
  const wanted = (reason: string) => !query.reason || reason === query.reason;

  return {
    from,
    to,
    time_zone: zone,
    alpha: DEFAULT_DETECT_OPTIONS.alpha,
    reasons_tested: verdicts.filter((v) => v.status === 'ok').length,
    insufficient_history: verdicts
      .filter((v) => v.status === 'insufficient_history' && wanted(v.reason))
      .map((v) => ({ reason: v.reason, history_weeks: v.historyWeeks, needed_weeks: 8 })),
    spikes: verdicts
      .filter((v) => wanted(v.reason))
      .flatMap((v) => v.spikes)
      .map((spike) => ({
        week: weeks[spike.week] ?? '',
        reason: spike.reason,
        label: labels.get(spike.reason) ?? spike.reason,
        observed: spike.observed,
        expected: spike.expected,
        excess: spike.excess,
        probability: spike.probability,
        severity: spike.severity,
        method: spike.stage === 'short' ? ('ears_c2' as const) : ('count_model' as const),
        events: spike.attributions.map((a) => ({
          event_id: a.eventId,
          title: a.title,
          kind: a.kind,
          occurrences: terms.windowsIn(a.eventId, starts[spike.week] ?? 0),
          share: a.share,
          contacts: a.contacts,
          attribution: a.method,
        })),
        unexplained: spike.unexplained,
      }))
      .sort((a, b) => a.week.localeCompare(b.week) || b.excess - a.excess),
  };
}

/** One model term per event, from its padded occurrences. */
function eventTerms(occurrences: Occurrence[], starts: number[]) {
  const byEvent = new Map<string, Occurrence[]>();
  for (const o of occurrences) byEvent.set(o.event_id, [...(byEvent.get(o.event_id) ?? []), o]);
  const terms: EventTerm[] = [...byEvent].map(([eventId, list]) => ({
    eventId,
    title: list[0]?.title ?? '',
    kind: list[0]?.kind ?? 'other',
    reasons: list[0]?.affected_reasons ?? [],
    overlap: weeklyOverlap(list, starts),
  }));
  const week = 7 * 24 * 60 * 60 * 1000;
  return {
    terms,
    windowsIn: (eventId: string, start: number) =>
      (byEvent.get(eventId) ?? [])
        .filter((o) => Date.parse(o.starts_at) < start + week && Date.parse(o.ends_at) > start)
        .map((o) => ({ starts_at: o.starts_at, ends_at: o.ends_at })),
  };
}
