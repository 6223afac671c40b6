import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { type EventKind, type EventRow, events } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, notFound } from '../../http/app-error';
import { type Page, type PageQuery, toPage } from '../../http/pagination';
import { resolveReasonNames } from '../reasons/resolve-reasons';
import { type Occurrence, occurrencesBetween, rruleProblem } from './occurrences';

export const MAX_OCCURRENCES = 5_000;

export type EventInput = {
  kind: EventKind;
  title: string;
  starts_at: string;
  ends_at: string;
  rrule?: string | null;
  lead_days?: number;
  lag_days?: number;
  affected_reasons?: string[];
  audience?: Record<string, unknown> | null;
};

export type EventView = {
  id: string;
  kind: EventKind;
  title: string;
  starts_at: string;
  ends_at: string;
  rrule: string | null;
  lead_days: number;
  lag_days: number;
  affected_reasons: string[];
  audience: Record<string, unknown> | null;
  origin: string;
  created_at: string;
  updated_at: string;
};

export const toEventView = (row: EventRow): EventView => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  starts_at: row.startsAt.toISOString(),
  ends_at: row.endsAt.toISOString(),
  rrule: row.rrule,
  lead_days: row.leadDays,
  lag_days: row.lagDays,
  affected_reasons: row.affectedReasons,
  audience: row.audience ?? null,
  origin: row.origin,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
});

function toColumns(input: EventInput) {
  const startsAt = new Date(input.starts_at);
  const endsAt = new Date(input.ends_at);
  const errors = [];
  if (endsAt < startsAt) {
    errors.push({ location: 'body', path: 'ends_at', message: 'must not be before starts_at' });
  }
  const ruleProblem = input.rrule ? rruleProblem(input.rrule) : undefined;
  if (ruleProblem) errors.push({ location: 'body', path: 'rrule', message: ruleProblem });
  if (errors.length > 0) {
    throw new AppError('validation_failed', 'The event is not valid; nothing was saved.', errors);
  }
  return {
    kind: input.kind,
    title: input.title,
    startsAt,
    endsAt,
    rrule: input.rrule || null,
    leadDays: input.lead_days ?? 0,
    lagDays: input.lag_days ?? 0,
    affectedReasons: input.affected_reasons ?? [],
    audience: input.audience ?? null,
  };
}

/** Affected reasons are stored as slugs, whichever name (label, alias, slug) was given. */
async function withReasonSlugs<T extends { affectedReasons: string[] }>(
  deps: Deps,
  columns: T,
): Promise<T> {
  const affectedReasons = await resolveReasonNames(
    deps.db,
    columns.affectedReasons,
    'affected_reasons',
  );
  return { ...columns, affectedReasons };
}

export async function createEvent(deps: Deps, input: EventInput): Promise<EventView> {
  const now = deps.clock.now();
  const columns = await withReasonSlugs(deps, toColumns(input));
  const [row] = await deps.db
    .insert(events)
    .values({ id: uuidv7(), ...columns, createdAt: now, updatedAt: now })
    .returning();
  if (!row) throw new Error('insert into events returned no row');
  return toEventView(row);
}

export async function updateEvent(deps: Deps, id: string, input: EventInput): Promise<EventView> {
  const columns = await withReasonSlugs(deps, toColumns(input));
  const [row] = await deps.db
    .update(events)
    .set({ ...columns, updatedAt: deps.clock.now() })
    .where(eq(events.id, id))
    .returning();
  if (!row) throw notFound(`Event ${id}`);
  return toEventView(row);
}

export async function deleteEvent(deps: Deps, id: string): Promise<void> {
  const deleted = await deps.db
    .delete(events)
    .where(eq(events.id, id))
    .returning({ id: events.id });
  if (deleted.length === 0) throw notFound(`Event ${id}`);
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

/** Every event's windows in [from, to), earliest first. */
export async function listOccurrences(
  deps: Deps,
  range: { from: Date; to: Date; kind?: EventKind; padded?: boolean },
): Promise<Occurrence[]> {
  const rows = await deps.db
    .select()
    .from(events)
    .where(
      and(
        range.kind ? eq(events.kind, range.kind) : undefined,
        // A one-off event outside the range cannot touch it; recurring ones may.
        sql`(${events.rrule} is not null or ${events.startsAt} < ${range.to.toISOString()}::timestamptz)`,
      ),
    );
  const occurrences = rows.flatMap((row) =>
    occurrencesBetween(row, range.from, range.to, {
      padded: range.padded,
      limit: MAX_OCCURRENCES + 1,
    }),
  );
  if (occurrences.length > MAX_OCCURRENCES) {
    throw new AppError(
      'validation_failed',
      `More than ${MAX_OCCURRENCES} occurrences in that range; ask for a shorter one.`,
      [{ location: 'query', path: 'to', message: 'range too long' }],
    );
  }
  return occurrences.sort((a, b) => a.starts_at.localeCompare(b.starts_at));
}
