import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';

/** Contacts in a period, with the companion counts that keep deflection honest. */
export type ContactCounts = {
  contacts: number;
  recontacts: number;
  resolved: number;
  csat_responses: number;
  csat_satisfied: number;
  /** First response time of the contacts answered, in hours (median and 90th percentile). */
  first_response_median_hours: number | null;
  first_response_p90_hours: number | null;
};

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

export const noContacts = (): ContactCounts => ({
  contacts: 0,
  recontacts: 0,
  resolved: 0,
  csat_responses: 0,
  csat_satisfied: 0,
  first_response_median_hours: null,
  first_response_p90_hours: null,
});

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
             count(*) filter (where t.resolved_at is not null)::int as resolved,
             count(t.csat)::int as csat_responses,
             count(*) filter (where t.csat >= 4)::int as csat_satisfied,
             percentile_cont(0.5) within group (order by t.response_hours)
               as first_response_median_hours,
             percentile_cont(0.9) within group (order by t.response_hours)
               as first_response_p90_hours
      from (
        select reason_slug, is_recontact, resolved_at, csat,
               extract(epoch from first_response_at - created_at)::float8 / 3600 as response_hours,
               to_char(date_trunc('week', created_at at time zone ${timeZone}), 'YYYY-MM-DD')
                 as week
        from tickets
        where created_at >= ${range.from.toISOString()} and created_at < ${range.to.toISOString()}
      ) t
      left join reasons r on r.slug = t.reason_slug
      group by grouping sets ((t.reason_slug), (t.week), ())`),
  );
  const metrics: PeriodMetrics = { total: noContacts(), byReason: new Map(), byWeek: new Map() };
  const hours = (value: number | null) => (value === null ? null : Number(value));
  for (const row of rows) {
    const counts: ContactCounts = {
      contacts: row.contacts,
      recontacts: row.recontacts,
      resolved: row.resolved,
      csat_responses: row.csat_responses,
      csat_satisfied: row.csat_satisfied,
      first_response_median_hours: hours(row.first_response_median_hours),
      first_response_p90_hours: hours(row.first_response_p90_hours),
    };
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
