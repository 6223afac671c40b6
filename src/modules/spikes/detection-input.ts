import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { listOccurrences } from '../events/events.service';
import type { Occurrence } from '../events/occurrences';
import { addWeeks, weeksBetween } from '../reasons/weeks';
import type { EventTerm } from './detect';
import { weeklyOverlap, weekStarts } from './week-overlap';

/** Weeks of history loaded before the first evaluated week: the model's training window. */
export const HISTORY_WEEKS = 160;
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export type DetectionInput = {
  weeks: string[];
  index: Map<string, number>;
  labels: Map<string, string>;
  series: { reason: string; counts: number[] }[];
  starts: number[];
  terms: EventTerm[];
  occurrencesByEvent: Map<string, Occurrence[]>;
};

/**
 * Everything detection reads, for weeks [from − history, to]: the weekly rollup per reason
 * (zero-filled) and one model term per event from its padded occurrences.
 */
export async function loadDetectionInput(
  deps: Deps,
  from: string,
  to: string,
): Promise<DetectionInput> {
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

  const starts = weekStarts(weeks, deps.config.workspaceTimeZone);
  const occurrences = await listOccurrences(deps, {
    from: new Date(starts[0] ?? 0),
    to: new Date((starts.at(-1) ?? 0) + WEEK_MS),
    padded: true,
  });
  const occurrencesByEvent = new Map<string, Occurrence[]>();
  for (const o of occurrences) {
    occurrencesByEvent.set(o.event_id, [...(occurrencesByEvent.get(o.event_id) ?? []), o]);
  }
  const terms: EventTerm[] = [...occurrencesByEvent].map(([eventId, list]) => ({
    eventId,
    title: list[0]?.title ?? '',
    kind: list[0]?.kind ?? 'other',
    groups: [eventId],
    reasons: list[0]?.affected_reasons ?? [],
    overlap: weeklyOverlap(list, starts),
  }));
  return {
    weeks,
    index,
    labels,
    series: [...counts].map(([reason, c]) => ({ reason, counts: c })),
    starts,
    terms,
    occurrencesByEvent,
  };
}

/** The windows of an event that touch the week starting at `weekStart`. */
export function windowsInWeek(input: DetectionInput, eventId: string, weekStart: number) {
  return (input.occurrencesByEvent.get(eventId) ?? [])
    .filter(
      (o) => Date.parse(o.starts_at) < weekStart + WEEK_MS && Date.parse(o.ends_at) > weekStart,
    )
    .map((o) => ({ starts_at: o.starts_at, ends_at: o.ends_at }));
}
