import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { calendarExpansion, inlineWhenCheap } from '../events/events.service';
import { defaultLastWeek, ticketWeeks } from '../reasons/ticket-weeks';
import { earlierWeek, mondayOf, weeksBack, weeksBetween } from '../reasons/weeks';
import { verdictState } from '../spikes/spikes.service';
import { calendarWindow } from '../spikes/verdict-input';
import { weekStarts } from '../spikes/week-overlap';
import {
  matchPatterns,
  PATTERN_FDR,
  type Pattern,
  type PatternInput,
  type StoredWeeks,
} from './match-patterns';

export type { Pattern } from './match-patterns';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export type FoundPatterns = {
  from: string;
  to: string;
  false_discovery_rate: number;
  pairs_tested: number;
  patterns: Pattern[];
};

/**
 * Event groups whose occurrences keep bringing excess contacts for the same reason, at
 * false-discovery rate `PATTERN_FDR` across every (event group, reason) tested (see
 * `matchPatterns`). Looks back `weeks` from the last week with verdicts (where the data ends,
 * or its usual volume: see `defaultLastWeek`) or from `as_of`, and reads the stored
 * baselines: weeks without verdicts (after the data ends, before a reason starts) are
 * missing, not zero.
 */
export async function findPatterns(
  deps: Deps,
  query: { weeks: number; as_of?: string },
): Promise<FoundPatterns> {
  const [{ computedThrough }, data] = await Promise.all([verdictState(deps), ticketWeeks(deps)]);
  const latest = defaultLastWeek(computedThrough, data, deps);
  // A date asked for is taken as it is, up to where verdicts reach.
  const to = query.as_of ? earlierWeek(mondayOf(query.as_of), computedThrough ?? latest) : latest;
  const from = weeksBack(to, query.weeks - 1);
  const weeks = weeksBetween(from, to);
  const starts = weekStarts(weeks, deps.config.workspaceTimeZone);
  const fromInstant = starts[0] ?? 0;
  const toInstant = (starts.at(-1) ?? 0) + WEEK_MS;
  const now = deps.clock.now();
  // Each reason's stored weeks in the window, sliced by the database (1-based arrays), read
  // beside the calendar over the window and the occurrences to come.
  const [stored, window, upcoming] = await Promise.all([
    deps.db
      .execute(sql`
        select v.reason_slug, r.label,
          v.observed[s.first : s.first + ${weeks.length - 1}] as observed,
          v.expected[s.first : s.first + ${weeks.length - 1}] as expected,
          substr(v.status, s.first, ${weeks.length}) as status
        from reason_verdicts v left join reasons r on r.slug = v.reason_slug,
          lateral (select (${from}::date - v.first_week) / 7 + 1 as first) as s`)
      .then((result) => rowsOf<StoredWeeks>(result)),
    calendarWindow(deps, new Date(fromInstant), new Date(toInstant)),
    calendarExpansion(deps, { from: now, to: new Date(now.getTime() + 400 * DAY_MS) }),
  ]);
  const input: PatternInput = {
    stored,
    starts,
    window: window.expansion,
    upcoming,
    audiences: Object.fromEntries(window.rows.map((row) => [row.id, row.audience ?? null])),
  };
  const { patterns, tested } = await inlineWhenCheap(
    deps,
    [input.window, input.upcoming],
    ([capped, cappedUpcoming]) =>
      matchPatterns({
        ...input,
        window: capped ?? input.window,
        upcoming: cappedUpcoming ?? input.upcoming,
      }),
    () => deps.compute('patterns', input),
  );
  return { from, to, false_discovery_rate: PATTERN_FDR, pairs_tested: tested, patterns };
}
