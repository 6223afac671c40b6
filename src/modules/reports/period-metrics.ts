import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';

/** Contacts in a period, with the companion counts that keep deflection honest. */
export type ContactCounts = { contacts: number; recontacts: number; resolved: number };

export type PeriodMetrics = {
  total: ContactCounts;
  byReason: Map<string, ContactCounts & { label: string }>;
  byWeek: Map<string, ContactCounts>;
};

type Row = ContactCounts & {
  by_reason: number;
  by_week: number;
  reason_slug: string | null;
  label: string | null;
  week: string | null;
};

/** One scan of the period's tickets, grouped three ways (by reason, by week, in total). */
export async function periodMetrics(
  db: Db,
  range: { from: Date; to: Date },
  timeZone: string,
): Promise<PeriodMetrics> {
  const rows = rowsOf<Row>(
    await db.execute(sql`
      select grouping(t.reason_slug)::int as by_reason, grouping(t.week)::int as by_week,
             t.reason_slug, max(r.label) as label, t.week,
             count(*)::int as contacts,
             count(*) filter (where t.is_recontact)::int as recontacts,
             count(*) filter (where t.resolved_at is not null)::int as resolved
      from (
        select reason_slug, is_recontact, resolved_at,
               to_char(date_trunc('week', created_at at time zone ${timeZone}), 'YYYY-MM-DD') as week
        from tickets
        where created_at >= ${range.from.toISOString()} and created_at < ${range.to.toISOString()}
      ) t
      left join reasons r on r.slug = t.reason_slug
      group by grouping sets ((t.reason_slug), (t.week), ())`),
  );
  const metrics: PeriodMetrics = {
    total: { contacts: 0, recontacts: 0, resolved: 0 },
    byReason: new Map(),
    byWeek: new Map(),
  };
  for (const row of rows) {
    const counts = { contacts: row.contacts, recontacts: row.recontacts, resolved: row.resolved };
    if (row.by_reason === 0) {
      const slug = row.reason_slug ?? 'unknown';
      metrics.byReason.set(slug, { ...counts, label: row.label ?? slug });
    } else if (row.by_week === 0) {
      metrics.byWeek.set(row.week ?? '', counts);
    } else {
      metrics.total = counts;
    }
  }
  return metrics;
}
