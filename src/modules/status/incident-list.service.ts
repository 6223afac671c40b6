import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { incidents } from '../../db/schema';
import type { Deps } from '../../deps';
import { type Page, type PageQuery, toPage } from '../../http/pagination';
import {
  componentsJson,
  type StatuspageIncident,
  toIncidentsJson,
} from './public/public-status.service';

/**
 * Every incident (or maintenance), newest first as incidents.json orders them, a page at a
 * time. The cursor is the last row's id; the page after it starts from that row's own
 * `created_at`, read from the table, so ties and sub-millisecond times page exactly.
 */
export async function listIncidents(
  deps: Deps,
  kind: 'incident' | 'maintenance',
  query: PageQuery,
): Promise<Page<StatuspageIncident>> {
  const now = deps.clock.now();
  const after = query.cursor
    ? sql`(${incidents.createdAt} < (select created_at from incidents where id = ${query.cursor})
          or (${incidents.createdAt} = (select created_at from incidents where id = ${query.cursor})
              and ${incidents.id} > ${query.cursor}))`
    : undefined;
  const [components, rows] = await Promise.all([
    componentsJson(deps, now),
    deps.db
      .select()
      .from(incidents)
      .where(and(eq(incidents.kind, kind), after))
      .orderBy(desc(incidents.createdAt), asc(incidents.id))
      .limit(query.limit + 1),
  ]);
  const page = toPage(rows, query.limit);
  return {
    data: await toIncidentsJson(deps, page.data, now, components),
    next_cursor: page.next_cursor,
  };
}
