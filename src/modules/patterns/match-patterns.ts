import type { EventKind } from '../../db/schema';
import type { Occurrence } from '../events/event-schemas';
import { type CalendarExpansion, expandCalendar } from '../events/occurrences';
import { byEvent } from '../spikes/verdict-input';
import { adjustedPValues, excessPValue } from './excess-test';
import { type CampaignSuggestion, suggestCampaign } from './suggest-campaign';

const DAY_MS = 24 * 60 * 60 * 1000;
const WEEK_MS = 7 * DAY_MS;
/** Patterns are reported at this false-discovery rate across every (event, reason) tested. */
export const PATTERN_FDR = 0.05;
const MIN_OCCURRENCES = 2;
const MIN_CONSISTENCY = 0.6;
const MIN_MEAN_EXCESS = 2;
const RECENT_OCCURRENCES = 4;

type Evidence = {
  title: string;
  /** The occurrence's own start and end, as `/v1/events/occurrences` lists them. */
  starts_at: string;
  ends_at: string;
  /** The window whose weeks were counted: the occurrence widened by its lead and lag days. */
  window_starts_at: string;
  window_ends_at: string;
  observed: number;
  expected: number;
  excess: number;
};

export type Pattern = {
  group: { type: 'event' | 'kind'; event_id: string | null; kind: EventKind; title: string };
  reason: string;
  label: string;
  occurrences_seen: number;
  occurrences_with_excess: number;
  /** How unlikely the excess over the occurrences' weeks is under the baseline (one-sided). */
  p_value: number;
  /** The p-value adjusted (Benjamini–Hochberg) across every (event, reason) tested. */
  q_value: number;
  expected_contacts_next: number;
  next_occurrence: { title: string; starts_at: string; ends_at: string } | null;
  evidence: Evidence[];
  suggestion: CampaignSuggestion;
};

/** A reason's stored weeks over the window (see `findPatterns`). */
export type StoredWeeks = {
  reason_slug: string;
  label: string | null;
  observed: number[];
  expected: number[];
  status: string;
};

export type PatternInput = {
  stored: StoredWeeks[];
  /** Start (epoch ms) of each week of the window. */
  starts: number[];
  /** The events' padded windows over the window. */
  window: CalendarExpansion;
  /** The occurrences to come, for each pattern's next one. */
  upcoming: CalendarExpansion;
  /** The audience each event of the window names, for the campaign it suggests. */
  audiences: Record<string, Record<string, unknown> | null>;
};

/**
 * Event groups (one recurring event, or all one-off events of a kind) whose occurrences keep
 * bringing excess contacts for the same reason, ranked by the excess expected at the next
 * occurrence. Pure, and it expands the calendar itself: over years of a busy calendar that is
 * thousands of windows, so it runs on a compute thread and only the patterns come back.
 */
export type PatternMatch = {
  patterns: Pattern[];
  /** (event group, reason) pairs tested: the multiplicity the q-values correct for. */
  tested: number;
};

export function matchPatterns(input: PatternInput): PatternMatch {
  const { stored, starts } = input;
  const calendar = byEvent(input.window.events, expandCalendar(input.window));
  const upcoming = expandCalendar(input.upcoming);
  const facts = new Map(calendar.map(({ event }) => [event.id, event]));
  const groupOf = (eventId: string) => {
    const event = facts.get(eventId);
    return event?.rrule ? `event:${eventId}` : `kind:${event?.kind ?? 'other'}`;
  };

  // The weeks each occurrence touches are found once, not once per reason.
  const spans = calendar.map(({ event, occurrences }) => ({
    event,
    group: groupOf(event.id),
    spans: mergeOverlapping(
      occurrences.map((o) => ({
        occurrence: o,
        ...ownWindow(o, event.leadDays, event.lagDays),
        ...weeksTouched(o, starts),
      })),
    ),
  }));
  type Entry = { reason: string; group: string; items: Evidence[]; pValue: number | undefined };
  const evidence = new Map<string, Entry>();
  for (const row of stored) {
    const reason = row.reason_slug;
    // A group's events (one-off events of a kind) may touch the same weeks: merged again.
    const byGroup = new Map<string, WeekSpan[][]>();
    for (const { event, group, spans: eventSpans } of spans) {
      if (event.affectedReasons.length > 0 && !event.affectedReasons.includes(reason)) continue;
      const lists = byGroup.get(group);
      if (lists) lists.push(eventSpans);
      else byGroup.set(group, [eventSpans]);
    }
    for (const [group, lists] of byGroup) {
      const groupSpans =
        lists.length === 1
          ? (lists[0] ?? [])
          : mergeOverlapping(lists.flat().sort((a, b) => a.first - b.first || a.end - b.end));
      const items: Evidence[] = [];
      const inside = new Uint8Array(starts.length);
      for (const span of groupSpans) {
        const item = occurrenceExcess(span, row);
        if (!item) continue;
        items.push(item);
        inside.fill(1, span.first, span.end);
      }
      if (items.length < MIN_OCCURRENCES) continue;
      evidence.set(`${group}|${reason}`, {
        reason,
        group,
        items,
        pValue: excessPValue(row, inside),
      });
    }
  }
  const labels = new Map(stored.map((row) => [row.reason_slug, row.label ?? row.reason_slug]));

  // Every pair with a p-value counts in the multiplicity; only those whose excess is big and
  // regular enough to act on are candidates (the others count as p = 1).
  const tested = [...evidence.values()].filter((e) => e.pValue !== undefined).length;
  const candidates = [...evidence.values()].filter(({ items, pValue }) => {
    const withExcess = items.filter((i) => i.excess >= 1).length;
    const meanExcess = items.reduce((sum, i) => sum + i.excess, 0) / items.length;
    return (
      pValue !== undefined &&
      withExcess / items.length >= MIN_CONSISTENCY &&
      meanExcess >= MIN_MEAN_EXCESS
    );
  });
  const qValues = adjustedPValues(
    candidates.map((c) => c.pValue ?? 1),
    tested,
  );

  const patterns: Pattern[] = [];
  for (const [index, { reason, group, items, pValue }] of candidates.entries()) {
    const qValue = qValues[index] ?? 1;
    if (qValue > PATTERN_FDR) continue;
    const withExcess = items.filter((i) => i.excess >= 1).length;
    items.sort((a, b) => a.starts_at.localeCompare(b.starts_at));
    const recent = items.slice(-RECENT_OCCURRENCES);
    const expectedNext = Math.max(0, recent.reduce((sum, i) => sum + i.excess, 0) / recent.length);
    const next = upcoming.find(
      (o) =>
        groupOf(o.event_id) === group &&
        (o.affected_reasons.length === 0 || o.affected_reasons.includes(reason)),
    );
    const recurring = group.startsWith('event:');
    const eventId = recurring ? group.slice('event:'.length) : next?.event_id;
    const representative =
      (eventId ? facts.get(eventId) : undefined) ??
      [...facts.values()].find((e) => `kind:${e.kind}` === group);
    const kind = representative?.kind ?? 'other';
    const label = labels.get(reason) ?? reason;
    patterns.push({
      group: recurring
        ? { type: 'event', event_id: eventId ?? null, kind, title: representative?.title ?? '' }
        : { type: 'kind', event_id: null, kind, title: `Every ${kind.replace('_', ' ')} event` },
      reason,
      label,
      occurrences_seen: items.length,
      occurrences_with_excess: withExcess,
      p_value: significant(pValue ?? 1),
      q_value: significant(qValue),
      expected_contacts_next: round(expectedNext),
      next_occurrence: next
        ? { title: next.title, starts_at: next.starts_at, ends_at: next.ends_at }
        : null,
      evidence: items,
      suggestion: suggestCampaign(
        kind,
        representative?.leadDays ?? 0,
        (representative && input.audiences[representative.id]) ?? null,
        label,
      ),
    });
  }
  // A total order, so pages of the list (by position) do not repeat or skip a pattern.
  patterns.sort(
    (a, b) =>
      Number(b.next_occurrence !== null) - Number(a.next_occurrence !== null) ||
      b.expected_contacts_next - a.expected_contacts_next ||
      a.q_value - b.q_value ||
      `${a.group.type}|${a.group.event_id ?? a.group.kind}|${a.reason}`.localeCompare(
        `${b.group.type}|${b.group.event_id ?? b.group.kind}|${b.reason}`,
      ),
  );
  return { patterns, tested };
}

/**
 * An occurrence's window as counted (`occurrence`, widened by lead and lag), the weeks it
 * touches, and its own start and end.
 */
type WeekSpan = {
  occurrence: Occurrence;
  startsAt: string;
  endsAt: string;
  first: number;
  end: number;
};

/** The occurrence's own start and end, from its window widened by `leadDays` and `lagDays`. */
function ownWindow(window: Occurrence, leadDays: number, lagDays: number) {
  return {
    startsAt: new Date(Date.parse(window.starts_at) + leadDays * DAY_MS).toISOString(),
    endsAt: new Date(Date.parse(window.ends_at) - lagDays * DAY_MS).toISOString(),
  };
}

/**
 * Occurrences (ordered by their first week) merged where they touch a week in common: weeks
 * are what contacts are counted in, so a week is one piece of evidence however many
 * occurrences fall in it (a daily stand-up, three releases in one week). A merged span starts
 * with its first occurrence and ends with the last to end. The spans given are not changed.
 */
function mergeOverlapping(spans: WeekSpan[]): WeekSpan[] {
  const merged: WeekSpan[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (!last || span.first >= last.end) {
      merged.push(span);
      continue;
    }
    merged[merged.length - 1] = {
      occurrence: {
        ...last.occurrence,
        ends_at: laterOf(span.occurrence.ends_at, last.occurrence.ends_at),
      },
      startsAt: last.startsAt,
      endsAt: laterOf(span.endsAt, last.endsAt),
      first: last.first,
      end: Math.max(last.end, span.end),
    };
  }
  return merged;
}

// ISO instants in UTC compare as text.
const laterOf = (a: string, b: string) => (a.localeCompare(b) > 0 ? a : b);

/** The weeks (indices into `starts`, [first, end)) an occurrence's window touches. */
function weeksTouched(occurrence: Occurrence, starts: number[]) {
  const begins = Date.parse(occurrence.starts_at);
  const ends = Date.parse(occurrence.ends_at);
  // The first week that ends after the occurrence begins.
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] ?? 0) + WEEK_MS <= begins) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < starts.length && (starts[end] ?? 0) < ends) end++;
  return { first: lo, end };
}

/** Observed minus event-free expected contacts over the tested weeks an occurrence touches. */
function occurrenceExcess(
  { occurrence, startsAt, endsAt, first, end }: WeekSpan,
  row: StoredWeeks,
): Evidence | undefined {
  let observed = 0;
  let expected = 0;
  let weeks = 0;
  for (let w = first; w < end; w++) {
    if (row.status[w] !== 't') continue;
    observed += row.observed[w] ?? 0;
    expected += row.expected[w] ?? 0;
    weeks++;
  }
  if (weeks === 0) return undefined;
  return {
    title: occurrence.title,
    starts_at: startsAt,
    ends_at: endsAt,
    window_starts_at: occurrence.starts_at,
    window_ends_at: occurrence.ends_at,
    observed,
    expected: round(expected),
    excess: round(observed - expected),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;
const significant = (value: number) => Number(value.toPrecision(3));
