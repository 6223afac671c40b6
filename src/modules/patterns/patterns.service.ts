import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { EventKind } from '../../db/schema';
import type { Deps } from '../../deps';
import { listOccurrences } from '../events/events.service';
import type { Occurrence } from '../events/occurrences';
import { addWeeks, currentWeek } from '../reasons/weeks';
import { applicableEvents, baselinesFor } from '../spikes/detect';
import { loadDetectionInput } from '../spikes/detection-input';
import { type CampaignSuggestion, suggestCampaign } from './suggest-campaign';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
const MIN_OCCURRENCES = 2;
const MIN_CONSISTENCY = 0.6;
const MIN_MEAN_EXCESS = 2;
const RECENT_OCCURRENCES = 4;

type Evidence = {
  title: string;
  starts_at: string;
  ends_at: string;
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
  expected_contacts_next: number;
  next_occurrence: { title: string; starts_at: string; ends_at: string } | null;
  evidence: Evidence[];
  suggestion: CampaignSuggestion;
};

type EventFacts = {
  id: string;
  kind: EventKind;
  title: string;
  rrule: string | null;
  lead_days: number;
  audience: Record<string, unknown> | null;
};

/**
 * Event groups (one recurring event, or all one-off events of a kind) whose occurrences keep
 * bringing excess contacts for the same reason, ranked by the excess expected at the next
 * occurrence: where a proactive message pays off most.
 */
export async function findPatterns(
  deps: Deps,
  query: { weeks: number },
): Promise<{ from: string; to: string; patterns: Pattern[] }> {
  const to = addWeeks(currentWeek(deps.clock.now(), deps.config.workspaceTimeZone), -1);
  const from = addWeeks(to, -(query.weeks - 1));
  const input = await loadDetectionInput(deps, from, to);
  const range = {
    from: input.index.get(from) ?? 0,
    to: input.index.get(to) ?? input.weeks.length - 1,
  };
  const facts = new Map(
    rowsOf<EventFacts>(
      await deps.db.execute(
        sql`select id::text, kind, title, rrule, lead_days, audience from events`,
      ),
    ).map((e) => [e.id, e]),
  );
  const groupOf = (eventId: string) => {
    const event = facts.get(eventId);
    return event?.rrule ? `event:${eventId}` : `kind:${event?.kind ?? 'other'}`;
  };

  const evidence = new Map<string, { reason: string; group: string; items: Evidence[] }>();
  for (const { reason, counts } of input.series) {
    const events = applicableEvents(input.terms, reason);
    const baselines = baselinesFor(counts, events, range);
    for (const term of events) {
      for (const occurrence of input.occurrencesByEvent.get(term.eventId) ?? []) {
        const item = occurrenceExcess(occurrence, input.starts, range, counts, baselines);
        if (!item) continue;
        const key = `${groupOf(term.eventId)}|${reason}`;
        const entry = evidence.get(key) ?? { reason, group: groupOf(term.eventId), items: [] };
        entry.items.push(item);
        evidence.set(key, entry);
      }
    }
  }

  const upcoming = await listOccurrences(deps, {
    from: deps.clock.now(),
    to: new Date(deps.clock.now().getTime() + 400 * 24 * 60 * 60 * 1000),
  });
  const patterns: Pattern[] = [];
  for (const { reason, group, items } of evidence.values()) {
    const withExcess = items.filter((i) => i.excess >= 1).length;
    const meanExcess = items.reduce((sum, i) => sum + i.excess, 0) / items.length;
    if (
      items.length < MIN_OCCURRENCES ||
      withExcess / items.length < MIN_CONSISTENCY ||
      meanExcess < MIN_MEAN_EXCESS
    ) {
      continue;
    }
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
    const label = input.labels.get(reason) ?? reason;
    patterns.push({
      group: recurring
        ? { type: 'event', event_id: eventId ?? null, kind, title: representative?.title ?? '' }
        : { type: 'kind', event_id: null, kind, title: `Every ${kind.replace('_', ' ')} event` },
      reason,
      label,
      occurrences_seen: items.length,
      occurrences_with_excess: withExcess,
      expected_contacts_next: round(expectedNext),
      next_occurrence: next
        ? { title: next.title, starts_at: next.starts_at, ends_at: next.ends_at }
        : null,
      evidence: items,
      suggestion: suggestCampaign(
        kind,
        representative?.lead_days ?? 0,
        representative?.audience ?? null,
        label,
      ),
    });
  }
  patterns.sort(
    (a, b) =>
      Number(b.next_occurrence !== null) - Number(a.next_occurrence !== null) ||
      b.expected_contacts_next - a.expected_contacts_next,
  );
  return { from, to, patterns };
}

/** Observed minus event-free expected contacts over the weeks an occurrence touches. */
function occurrenceExcess(
  occurrence: Occurrence,
  starts: number[],
  range: { from: number; to: number },
  counts: number[],
  baselines: ReturnType<typeof baselinesFor>,
): Evidence | undefined {
  let observed = 0;
  let expected = 0;
  let weeks = 0;
  for (let w = range.from; w <= range.to; w++) {
    const start = starts[w] ?? 0;
    if (
      Date.parse(occurrence.starts_at) >= start + WEEK_MS ||
      Date.parse(occurrence.ends_at) <= start
    )
      continue;
    const baseline = baselines.get(w);
    if (!baseline) continue;
    observed += counts[w] ?? 0;
    expected += baseline.expected;
    weeks++;
  }
  if (weeks === 0) return undefined;
  return {
    title: occurrence.title,
    starts_at: occurrence.starts_at,
    ends_at: occurrence.ends_at,
    observed,
    expected: round(expected),
    excess: round(observed - expected),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;
