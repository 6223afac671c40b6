import { isDeepStrictEqual } from 'node:util';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../db/database';
import { retryingTransaction } from '../../db/retry-transaction';
import { type EventKind, type EventRow, events } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, type FieldError, notFound } from '../../http/app-error';
import { type IfMatch, versionEtag } from '../../http/etag';
import { requireIfMatch } from '../../http/if-match';
import { type Page, type PageQuery, toPage } from '../../http/pagination';
import type { Actor } from '../campaigns/campaigns.service';
import { changeEventsFollowed, releaseLinkedCampaigns } from '../campaigns/linked-event.service';
import { resolveReasonNames } from '../reasons/resolve-reasons';
import { checkCalendar, walkProbe } from './calendar-check';
import type { EventInput, EventView, Occurrence } from './event-schemas';
import { exclusionsMove, movedExclusions } from './moved-exclusions';
import {
  type CalendarEvent,
  type CalendarExpansion,
  calendarEvent,
  expandCalendar,
} from './occurrences';
import { isDay, type RecurrenceExceptions } from './recurrence-exceptions';
import { longestPeriodDays, RecurrenceBudgetExceeded } from './recurrence-rule';

export const MAX_OCCURRENCES = 5_000;

export const toEventView = (row: EventRow): EventView => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  starts_at: row.startsAt.toISOString(),
  ends_at: row.endsAt.toISOString(),
  rrule: row.rrule,
  time_zone: row.timeZone,
  excluded_starts: row.excludedStarts,
  extra_starts: row.extraStarts,
  lead_days: row.leadDays,
  lag_days: row.lagDays,
  affected_reasons: row.affectedReasons,
  audience: row.audience ?? null,
  origin: row.origin,
  version: row.version,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

async function toColumns(deps: Deps, input: EventInput) {
  const startsAt = new Date(input.starts_at);
  const endsAt = new Date(input.ends_at);
  const rrule = input.rrule || null;
  const excludedStarts = startList(input.excluded_starts);
  const extraStarts = startList(input.extra_starts);
  const unruled = exceptionsWithoutRule(rrule, { excludedStarts, extraStarts });
  if (unruled.length > 0) {
    throw new AppError('validation_failed', 'The event is not valid; nothing was saved.', unruled);
  }
  const errors = await calendarProblemsWhereCheap(deps, startsAt, endsAt, rrule);
  if (errors.length > 0) {
    throw new AppError('invalid_calendar', 'The event is not valid; nothing was saved.', errors);
  }
  return {
    kind: input.kind,
    title: input.title,
    startsAt,
    endsAt,
    rrule,
    timeZone: input.time_zone ?? null,
    excludedStarts,
    extraStarts,
    leadDays: input.lead_days ?? 0,
    lagDays: input.lag_days ?? 0,
    affectedReasons: input.affected_reasons ?? [],
    audience: input.audience ?? null,
  };
}

/**
 * `calendarProblems` on the request thread: a rule that occurs soon, and one whose probe is
 * short (a yearly rule's thirteen periods), are walked here; a longer walk that has found no
 * start within INLINE_STEPS periods (BYMONTH=2;BYMONTHDAY=30 of a daily rule, 3,655 days)
 * is walked again, whole, on a compute thread.
 */
async function calendarProblemsWhereCheap(
  deps: Deps,
  startsAt: Date,
  endsAt: Date,
  rrule: string | null,
): Promise<FieldError[]> {
  const { problems, probe, neverOccurs } = checkCalendar(startsAt, endsAt, rrule);
  if (!probe) return problems;
  const inline = walkProbe(probe, deps.compute.offThread ? INLINE_STEPS : probe.periods);
  const { occurs } =
    inline.occurs === undefined ? await deps.compute('occurrenceProbe', probe) : inline;
  return occurs ? problems : [...problems, neverOccurs];
}

/** Instants in one form (UTC, milliseconds) and days as given, sorted, each once. */
const startList = (values: string[] | undefined = []) =>
  [...new Set(values.map((v) => (isDay(v) ? v : new Date(v).toISOString())))].sort();

/** Starts to take out of, or add to, a rule need the rule: a one-off event has none. */
function exceptionsWithoutRule(rrule: string | null, exceptions: RecurrenceExceptions) {
  if (rrule) return [];
  const fields = {
    excluded_starts: exceptions.excludedStarts,
    extra_starts: exceptions.extraStarts,
  };
  return Object.entries(fields).flatMap(([path, list]): FieldError[] =>
    list.length > 0
      ? [
          {
            location: 'body',
            path,
            message: 'needs an rrule: a one-off event has only its own start',
          },
        ]
      : [],
  );
}

/** Affected reasons are stored as slugs, whichever name (label, alias, slug) was given. */
async function withReasonSlugs<T extends { affectedReasons: string[] }>(
  tx: Db,
  columns: T,
): Promise<T> {
  const affectedReasons = await resolveReasonNames(tx, columns.affectedReasons, 'affected_reasons');
  return { ...columns, affectedReasons };
}

export async function createEvent(deps: Deps, input: EventInput): Promise<EventView> {
  const now = deps.clock.now();
  // Before the transaction: checking the rule may take a compute thread.
  const checked = await toColumns(deps, input);
  const row = await retryingTransaction(deps.db, async (tx) => {
    const columns = await withReasonSlugs(tx, checked);
    const [inserted] = await tx
      .insert(events)
      .values({ id: uuidv7(), ...columns, createdAt: now, updatedAt: now })
      .returning();
    return inserted;
  });
  if (!row) throw new Error('insert into events returned no row');
  deps.afterDetectionInputChange(deps);
  return toEventView(row);
}

/**
 * Replaces an event. The excluded starts it keeps (see `excludedAfterMove`) are worked out
 * before its transaction, from the event as read then, so no expansion runs while its row is
 * locked; the transaction checks that the series it locks is the one they were worked out
 * from, and when another change came between, they are worked out again from that one (as a
 * replace that came after it would have them), a few times before a 409. With `ifMatch`, the
 * locked event must still be a version it names (else 412): a move sent again with the
 * version it was sent with finds the series moved and changes nothing. With `keepUnchanged`
 * (the console's form saved as it was opened), a replace with what is stored writes nothing,
 * so the version and `updated_at` stay; the API's PUT is a write whatever it sends.
 */
export async function updateEvent(
  deps: Deps,
  id: string,
  input: EventInput,
  actor: Actor,
  ifMatch?: IfMatch,
  options: { keepUnchanged?: boolean } = {},
): Promise<EventView> {
  const columns = await toColumns(deps, input);
  for (let attempt = 1; ; attempt++) {
    const [read] = await deps.db.select().from(events).where(eq(events.id, id));
    const excludedStarts = read
      ? await excludedAfterMove(deps, read, { id, ...columns })
      : columns.excludedStarts;
    try {
      const row = await retryingTransaction(deps.db, async (tx) => {
        const named = await withReasonSlugs(tx, columns);
        const replacement = { ...named, excludedStarts };
        // Read locked again to compare, as a write compares its If-Match.
        if (options.keepUnchanged && read && storedAlready(read, replacement)) {
          const [locked] = await tx.select().from(events).where(eq(events.id, id)).for('update');
          if (locked && storedAlready(locked, replacement)) {
            requireIfMatch(ifMatch, versionEtag(locked.version), `Event ${id}`);
            return { ...locked, unchanged: true };
          }
        }
        return changeEventsFollowed(
          deps,
          tx,
          eq(events.id, id),
          async ([before]) => {
            if (!before) return undefined;
            requireIfMatch(ifMatch, versionEtag(before.version), `Event ${id}`);
            if (!read || seriesOf(before) !== seriesOf(read)) throw new SeriesChanged();
            const [updated] = await tx
              .update(events)
              .set({ ...replacement, updatedAt: deps.clock.now() })
              .where(eq(events.id, id))
              .returning();
            return updated;
          },
          actor,
        );
      });
      if (!row) throw notFound(`Event ${id}`);
      if (!('unchanged' in row)) deps.afterDetectionInputChange(deps);
      return toEventView(row);
    } catch (error) {
      if (!(error instanceof SeriesChanged)) throw error;
      if (attempt >= SERIES_READS) {
        throw new AppError(
          'conflict',
          `Event ${id} changed each time this change was prepared; nothing was saved. Send it again.`,
        );
      }
    }
  }
}

/**
 * Whether `row` holds every column a replace would write, as it would write them: dates by
 * instant, jsonb by content whatever its key order.
 */
function storedAlready(row: EventRow, columns: Awaited<ReturnType<typeof toColumns>>): boolean {
  const written = Object.keys(columns) as (keyof typeof columns)[];
  return written.every((key) => isDeepStrictEqual(row[key], columns[key]));
}

/** How often a replace reads the event's series again when changes keep coming between. */
const SERIES_READS = 3;

/** The locked event is not the one a replace worked out its excluded starts from. */
class SeriesChanged extends Error {}

/** What `excludedAfterMove` reads of the stored event, in one comparable string. */
const seriesOf = (row: EventRow) =>
  JSON.stringify([
    row.startsAt.getTime(),
    row.endsAt.getTime(),
    row.rrule,
    row.timeZone,
    row.excludedStarts,
    row.extraStarts,
  ]);

/**
 * The excluded starts a replaced event keeps. A body that sends them as stored (what a client
 * read and sends back) while moving the series (a new `starts_at` or zone) gets them moved
 * with it (see `ExclusionsMove`): each named a start the client did not mean to bring back. A
 * body that sends others has them as sent.
 */
async function excludedAfterMove(
  deps: Deps,
  before: EventRow,
  after: CalendarEvent,
): Promise<string[]> {
  const workspaceZone = deps.config.workspaceTimeZone;
  const moved =
    before.startsAt.getTime() !== after.startsAt.getTime() ||
    (before.timeZone ?? workspaceZone) !== (after.timeZone ?? workspaceZone);
  const asStored = startList(before.excludedStarts).join() === after.excludedStarts.join();
  if (!moved || !asStored || after.excludedStarts.length === 0) return after.excludedStarts;
  const move = exclusionsMove(calendarEvent(before), calendarEvent(after), {
    timeZone: workspaceZone,
    steps: OCCURRENCE_LIMITS.internal.steps,
  });
  const stretches = move.before.length;
  const excluded = await inlineWhenCheap(
    deps,
    [...move.before, ...move.after],
    (capped) =>
      movedExclusions({
        ...move,
        before: capped.slice(0, stretches),
        after: capped.slice(stretches),
      }),
    () => deps.compute('movedExclusions', move),
  );
  return startList(excluded);
}

export async function deleteEvent(
  deps: Deps,
  id: string,
  actor: Actor,
  ifMatch?: IfMatch,
): Promise<void> {
  const deleted = await retryingTransaction(deps.db, async (tx) => {
    const [event] = await tx.select().from(events).where(eq(events.id, id)).for('update');
    if (!event) return false;
    requireIfMatch(ifMatch, versionEtag(event.version), `Event ${id}`);
    await releaseLinkedCampaigns(deps, tx, id, actor);
    await tx.delete(events).where(eq(events.id, id));
    return true;
  });
  if (!deleted) throw notFound(`Event ${id}`);
  deps.afterDetectionInputChange(deps);
}

export async function getEvent(deps: Deps, id: string): Promise<EventView> {
  const [row] = await deps.db.select().from(events).where(eq(events.id, id));
  if (!row) throw notFound(`Event ${id}`);
  return toEventView(row);
}

export async function listEvents(
  deps: Deps,
  query: PageQuery & { kind?: EventKind },
): Promise<Page<EventView>> {
  const rows = await deps.db
    .select()
    .from(events)
    .where(
      and(
        query.cursor ? gt(events.id, query.cursor) : undefined,
        query.kind ? eq(events.kind, query.kind) : undefined,
      ),
    )
    .orderBy(asc(events.id))
    .limit(query.limit + 1);
  return toPage(rows.map(toEventView), query.limit);
}

/**
 * How far callers may expand the calendar. The API's `GET /v1/events/occurrences` is held to
 * two years and a budget that keeps one request to tens of milliseconds. Internal readers
 * (spike detection, patterns, reports, the console) get 16 years and twenty times the budget:
 * enough for a dozen years of a hundred daily events. Steps are periods rrule walks from just
 * before the range (or from the event's start, for a rule with COUNT).
 */
export const OCCURRENCE_LIMITS = {
  api: { maxRangeDays: 2 * 366, steps: 50_000 },
  internal: { maxRangeDays: 16 * 366, steps: 1_000_000 },
} as const;

/**
 * Periods walked on the request thread before the expansion moves to a compute thread: a
 * millisecond or two of rrule, which is all that is wasted when the attempt runs out.
 */
export const INLINE_STEPS = 200;

/**
 * Most calendar reads walk a few dozen periods: handing those to a thread would cost more
 * than it saves. `work` (pure: it expands `expansions` itself) runs on the request thread when
 * it walks at most INLINE_STEPS periods; otherwise `onThread` runs it on a compute thread,
 * first when the rules and ranges already say so (a failed attempt costs several milliseconds
 * of rrule on the request thread), else once the attempt runs out of periods.
 */
export async function inlineWhenCheap<T>(
  deps: Deps,
  expansions: CalendarExpansion[],
  work: (expansions: CalendarExpansion[]) => T,
  onThread: () => Promise<T>,
): Promise<T> {
  const steps = expansions.reduce((sum, e) => sum + e.steps, 0);
  if (steps <= INLINE_STEPS || !deps.compute.offThread) return work(expansions);
  const periods = expansions.reduce((sum, e) => sum + periodsAtLeast(e), 0);
  if (periods > INLINE_STEPS) return onThread();
  try {
    const share = Math.max(1, Math.floor(INLINE_STEPS / expansions.length));
    return work(expansions.map((e) => ({ ...e, steps: Math.min(e.steps, share) })));
  } catch (error) {
    if (!(error instanceof RecurrenceBudgetExceeded)) throw error;
    return onThread();
  }
}

/** A calendar's windows, expanded on the request thread only when that is cheap. */
export function expandCalendarWhereCheap(
  deps: Deps,
  expansion: CalendarExpansion,
): Promise<Occurrence[]> {
  return inlineWhenCheap(
    deps,
    [expansion],
    ([capped]) => expandCalendar(capped ?? expansion),
    () => deps.compute('occurrences', expansion),
  );
}

/**
 * A lower bound on the periods rrule walks to expand `expansion`: the range over the longest
 * period of each rule that runs through it (one with COUNT or UNTIL may stop sooner).
 */
function periodsAtLeast(expansion: CalendarExpansion): number {
  const days = (expansion.to.getTime() - expansion.from.getTime()) / DAY_MS;
  let periods = 0;
  for (const { rrule } of expansion.events) {
    if (!rrule || /COUNT=|UNTIL=/i.test(rrule)) continue;
    periods += days / longestPeriodDays(rrule);
  }
  return periods;
}

export type OccurrenceRange = {
  from: Date;
  to: Date;
  kind?: EventKind;
  padded?: boolean;
  limits?: keyof typeof OCCURRENCE_LIMITS;
};

/** Every event's windows in [from, to), earliest first. */
export async function listOccurrences(deps: Deps, range: OccurrenceRange): Promise<Occurrence[]> {
  const expansion = { ...(await calendarExpansion(deps, range)), max: MAX_OCCURRENCES };
  const occurrences = await expandCalendarWhereCheap(deps, expansion);
  if (occurrences.length > MAX_OCCURRENCES) throw tooManyOccurrences();
  return occurrences;
}

/**
 * `GET /v1/events/occurrences`'s body, `{"data":[…]}`: a year of a busy calendar is thousands
 * of occurrences, so a thread that expands them serializes them too (as UTF-8), rather than
 * handing them back to be cloned, stringified and encoded on the request thread.
 */
export async function occurrencesJson(
  deps: Deps,
  range: OccurrenceRange,
): Promise<string | Uint8Array<ArrayBuffer>> {
  const expansion = { ...(await calendarExpansion(deps, range)), max: MAX_OCCURRENCES };
  const json = await inlineWhenCheap<string | Uint8Array<ArrayBuffer> | null>(
    deps,
    [expansion],
    ([capped]) => {
      const data = expandCalendar(capped ?? expansion);
      return data.length > MAX_OCCURRENCES ? null : JSON.stringify({ data });
    },
    () => deps.compute('occurrencesJson', expansion),
  );
  if (json === null) throw tooManyOccurrences();
  return json;
}

const tooManyOccurrences = () =>
  new AppError(
    'range_too_large',
    `More than ${MAX_OCCURRENCES} occurrences in that range; ask for a shorter one.`,
    [{ location: 'query', path: 'to', message: 'range too long' }],
  );

/**
 * The range against the caller's limits (ends before it starts: 400; too long: 422), before
 * anything is read; the limits it was held to.
 */
export function checkOccurrenceRange(range: Pick<OccurrenceRange, 'from' | 'to' | 'limits'>) {
  const limits = OCCURRENCE_LIMITS[range.limits ?? 'internal'];
  const days = (range.to.getTime() - range.from.getTime()) / DAY_MS;
  if (!(days >= 0)) {
    throw new AppError('validation_failed', 'The range ends before it starts.', [
      { location: 'query', path: 'to', message: 'must not be before from' },
    ]);
  }
  if (days > limits.maxRangeDays) {
    throw new AppError(
      'range_too_large',
      `Ask for at most ${limits.maxRangeDays} days of occurrences at a time.`,
      [
        {
          location: 'query',
          path: 'to',
          message: `at most ${limits.maxRangeDays} days after from`,
        },
      ],
    );
  }
  return limits;
}

/** The range checked against the caller's limits, and the events that may occur in it. */
export async function calendarExpansion(
  deps: Deps,
  range: OccurrenceRange,
): Promise<CalendarExpansion> {
  const limits = checkOccurrenceRange(range);
  const rows = await deps.db
    .select()
    .from(events)
    .where(
      and(
        range.kind ? eq(events.kind, range.kind) : undefined,
        // A one-off event outside the range cannot touch it; recurring ones may.
        sql`(${events.rrule} is not null
          or ${events.startsAt} < ${range.to.toISOString()}::timestamptz)`,
      ),
    );
  return {
    events: rows.map(calendarEvent),
    from: range.from,
    to: range.to,
    padded: range.padded,
    limit: MAX_OCCURRENCES + 1,
    steps: limits.steps,
    timeZone: deps.config.workspaceTimeZone,
  };
}

const DAY_MS = 24 * 60 * 60 * 1000;
