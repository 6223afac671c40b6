import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { ExposureGroup } from '../../db/schema';
import type { Deps } from '../../deps';
import { PRE_PERIOD_DAYS } from '../campaigns/pre-period';
import { consolidateExposures } from '../notices/consolidate-exposures';
import { settleRecontacts } from '../recontacts/recontact-work';
import { emptyMoments, MONOMIALS, type Moments } from './account-moments';
import { type AccountSums, emptyAccountSums } from './companion-metrics';

/**
 * Brings what measurements read up to date: the exposure log folded into first views, and
 * re-contact flags settled for every ticket ingested so far.
 */
export async function catchUpForMeasurement(deps: Deps): Promise<void> {
  await consolidateExposures(deps);
  await settleRecontacts(deps.db);
}

/** What a campaign's measurement window saw in one group of exposed accounts. */
export type GroupMeasurement = {
  accounts: number;
  /** Sums over the group's accounts of the estimator's variables (see account-moments.ts). */
  moments: Moments;
  contacts: number;
  targetContacts: number;
  recontacts: number;
  resolved: number;
  csat: { responses: number; satisfied: number };
  /**
   * Sums over the group's accounts of each account's re-contacts and contacts, and satisfied
   * and rated contacts, in its window: what the companion warnings' variances, clustered by
   * account, are computed from (see `exceeds`).
   */
  perAccount: { recontacts: AccountSums; csat: AccountSums };
  /** First response times of the window's contacts, in hours. */
  firstResponse: { answered: number; medianHours: number | null; p90Hours: number | null };
  /** Accounts that churned, or downgraded, inside their window. */
  churned: number;
  downgraded: number;
  /**
   * Held-out accounts emailed anyway: at an address they share with a treated account, which
   * the campaign emailed for it (an address gets a campaign's email once). Zero when treated.
   */
  emailedAnyway: number;
};

type ByGroup<T> = Record<ExposureGroup, T>;

export type CampaignMeasurement = {
  groups: ByGroup<GroupMeasurement>;
  /** Contacts per ISO week (workspace zone) per group: all reasons and target reasons. */
  weeks: Map<string, ByGroup<{ every: number; target: number }>>;
  /** Contacts per reason over the window, per group. */
  reasons: Map<string, ByGroup<number>>;
};

export type MeasuredCampaign = { id: string; targetReasons: string[]; windowEnd: Date };

export const emptyGroup = (): GroupMeasurement => ({
  accounts: 0,
  moments: emptyMoments(),
  contacts: 0,
  targetContacts: 0,
  recontacts: 0,
  resolved: 0,
  csat: { responses: 0, satisfied: 0 },
  perAccount: { recontacts: emptyAccountSums(), csat: emptyAccountSums() },
  firstResponse: { answered: 0, medianHours: null, p90Hours: null },
  churned: 0,
  downgraded: 0,
  emailedAnyway: 0,
});

type Row = {
  kind: 'group' | 'week' | 'reason';
  campaign_id: string;
  group: ExposureGroup;
  key: string | null;
  moments: number[] | null;
  every: number;
  target: number;
  recontacts: number;
  resolved: number;
  csat_responses: number;
  csat_satisfied: number;
  /** AccountSums of re-contacts over contacts, then of satisfied over rated contacts. */
  per_account: number[] | null;
  answered: number;
  median_hours: number | null;
  p90_hours: number | null;
  churned: number;
  downgraded: number;
  emailed_anyway: number;
};

const PRE_PERIOD = `${PRE_PERIOD_DAYS} days`;
const VARIABLE_COLUMNS = ['target', 'every', 'pre_target', 'pre_every', 'weeks'];

/** sum(v_i·v_j·v_k) for every monomial, as one float8[] in MONOMIALS order. */
const momentSums: SQL = sql.raw(
  `array[${MONOMIALS.map((tuple) =>
    tuple.length === 0
      ? 'count(*)::float8'
      : `sum(${tuple.map((i) => `a.${VARIABLE_COLUMNS[i]}`).join(' * ')})::float8`,
  ).join(', ')}]`,
);

/**
 * One pass over every campaign's exposed accounts and their tickets, from 8 weeks before each
 * account's first exposure (the pre-period the estimate adjusts by) to the end of the
 * campaign's window: per group, the sums the estimator needs and the companion metrics
 * (re-contacts, resolutions, CSAT, first response times, churn and downgrades inside the
 * window); per week and per reason, the window's contacts. The impact endpoint asks for one
 * campaign, the leaders' report for all of a period's at once.
 */
export async function measureCampaigns(
  db: Db,
  campaigns: MeasuredCampaign[],
  timeZone: string,
): Promise<Map<string, CampaignMeasurement>> {
  const measured = new Map<string, CampaignMeasurement>();
  for (const campaign of campaigns) {
    measured.set(campaign.id, {
      groups: { treated: emptyGroup(), holdout: emptyGroup() },
      weeks: new Map(),
      reasons: new Map(),
    });
  }
  if (campaigns.length === 0) return measured;
  const input = campaigns.map((c) => ({
    id: c.id,
    target_reasons: c.targetReasons,
    window_end: c.windowEnd.toISOString(),
  }));
  // The tickets any window (or its pre-period) can reach, as literal bounds the planner can
  // estimate.
  const [first] = rowsOf<{ first_at: string | Date | null }>(
    await db.execute(sql`
      select min(first_at) as first_at from exposures
      where campaign_id in (select (jsonb_array_elements(${jsonParam(input)}) ->> 'id')::uuid)`),
  );
  if (!first?.first_at) return measured;
  const bounds = {
    from: new Date(first.first_at),
    to: new Date(Math.max(...campaigns.map((c) => c.windowEnd.getTime())) + 1),
  };
  const rows = rowsOf<Row>(
    await db.execute(sql`
      with c as (
        select * from jsonb_to_recordset(${jsonParam(input)})
          as c(id uuid, target_reasons jsonb, window_end timestamptz)
      ),
      exposed as materialized (
        select e.campaign_id, e."group", e.account_id, e.first_at, c.window_end, c.target_reasons,
               extract(epoch from c.window_end - e.first_at)::float8 / 86400 as days
        from c join exposures e on e.campaign_id = c.id and e.first_at <= c.window_end
      ),
      seen as materialized (
        select x.campaign_id, x."group", x.account_id, t.reason_slug, t.is_recontact,
               t.resolved_at, t.csat, t.first_response_at, t.created_at,
               t.created_at >= x.first_at as in_window,
               (jsonb_array_length(x.target_reasons) = 0
                 or x.target_reasons ? t.reason_slug) as is_target
        from exposed x
        join (
          select account_id, reason_slug, is_recontact, resolved_at, csat, first_response_at,
                 created_at
          from tickets
          where created_at >= ${bounds.from.toISOString()}::timestamptz - ${PRE_PERIOD}::interval
            and created_at < ${bounds.to.toISOString()}
        ) t
          on t.account_id = x.account_id
         and t.created_at >= x.first_at - ${PRE_PERIOD}::interval
         and t.created_at < x.window_end
      ),
      per_account as (
        select campaign_id, "group", account_id,
               count(*) filter (where in_window and is_target) as target,
               count(*) filter (where in_window) as every,
               count(*) filter (where not in_window and is_target) as pre_target,
               count(*) filter (where not in_window) as pre_every,
               count(*) filter (where in_window and is_recontact) as recontacts,
               count(csat) filter (where in_window) as rated,
               count(*) filter (where in_window and csat >= 4) as satisfied
        from seen group by 1, 2, 3
      ),
      a as (
        select x.campaign_id, x."group",
               coalesce(p.target, 0)::float8 as target,
               coalesce(p.every, 0)::float8 as every,
               coalesce(p.pre_target, 0) * x.days / ${PRE_PERIOD_DAYS} as pre_target,
               coalesce(p.pre_every, 0) * x.days / ${PRE_PERIOD_DAYS} as pre_every,
               x.days / 7 as weeks,
               coalesce(p.recontacts, 0)::float8 as recontacts,
               coalesce(p.rated, 0)::float8 as rated,
               coalesce(p.satisfied, 0)::float8 as satisfied,
               (acc.churned_at >= x.first_at and acc.churned_at < x.window_end) as churned,
               (acc.downgraded_at >= x.first_at and acc.downgraded_at < x.window_end) as downgraded,
               (x."group" = 'holdout' and exists (
                 select 1 from account_contacts ac
                 join email_deliveries d on d.campaign_id = x.campaign_id and d.email = ac.email
                 where ac.account_id = x.account_id
                   and d.status in ('sent', 'delivered', 'complained'))) as emailed_anyway
        from exposed x
        left join per_account p
          on p.campaign_id = x.campaign_id and p."group" = x."group" and p.account_id = x.account_id
        left join accounts acc on acc.id = x.account_id
      ),
      groups as (
        select campaign_id, "group", ${momentSums} as moments,
               count(*) filter (where churned)::int as churned,
               count(*) filter (where downgraded)::int as downgraded,
               count(*) filter (where emailed_anyway)::int as emailed_anyway,
               array[
                 count(*) filter (where every > 0), sum(recontacts), sum(every),
                 sum(recontacts * recontacts), sum(every * recontacts), sum(every * every),
                 count(*) filter (where rated > 0), sum(satisfied), sum(rated),
                 sum(satisfied * satisfied), sum(rated * satisfied), sum(rated * rated)
               ]::float8[] as per_account
        from a group by 1, 2
      ),
      window_tickets as (
        select campaign_id, "group",
               count(*)::float8 as every,
               count(*) filter (where is_target)::float8 as target,
               count(*) filter (where is_recontact)::int as recontacts,
               count(*) filter (where resolved_at is not null)::int as resolved,
               count(csat)::int as csat_responses,
               count(*) filter (where csat >= 4)::int as csat_satisfied,
               count(first_response_at)::int as answered,
               percentile_cont(0.5) within group (
                 order by extract(epoch from first_response_at - created_at)::float8 / 3600)
                 as median_hours,
               percentile_cont(0.9) within group (
                 order by extract(epoch from first_response_at - created_at)::float8 / 3600)
                 as p90_hours
        from seen where in_window group by 1, 2
      )
      select 'group' as kind, g.campaign_id, g."group", null as key, g.moments,
             coalesce(w.every, 0) as every, coalesce(w.target, 0) as target,
             coalesce(w.recontacts, 0) as recontacts, coalesce(w.resolved, 0) as resolved,
             coalesce(w.csat_responses, 0) as csat_responses,
             coalesce(w.csat_satisfied, 0) as csat_satisfied, g.per_account,
             coalesce(w.answered, 0) as answered, w.median_hours, w.p90_hours,
             g.churned, g.downgraded, g.emailed_anyway
      from groups g
      left join window_tickets w on w.campaign_id = g.campaign_id and w."group" = g."group"
      union all
      select 'week', campaign_id, "group",
             to_char(date_trunc('week', created_at at time zone ${timeZone}), 'YYYY-MM-DD'),
             null, count(*)::float8, count(*) filter (where is_target)::float8, 0, 0, 0, 0,
             null, 0, null, null, 0, 0, 0
      from seen where in_window group by 2, 3, 4
      union all
      select 'reason', campaign_id, "group", reason_slug, null, count(*)::float8, 0, 0, 0, 0, 0,
             null, 0, null, null, 0, 0, 0
      from seen where in_window group by 2, 3, 4`),
  );
  for (const row of rows) {
    const campaign = measured.get(row.campaign_id);
    if (!campaign) continue;
    if (row.kind === 'group') {
      const moments = Float64Array.from(row.moments ?? [], Number);
      campaign.groups[row.group] = {
        accounts: moments[0] ?? 0,
        moments,
        contacts: row.every,
        targetContacts: row.target,
        recontacts: row.recontacts,
        resolved: row.resolved,
        csat: { responses: row.csat_responses, satisfied: row.csat_satisfied },
        perAccount: perAccountSums(row.per_account),
        firstResponse: {
          answered: row.answered,
          medianHours: row.median_hours === null ? null : Number(row.median_hours),
          p90Hours: row.p90_hours === null ? null : Number(row.p90_hours),
        },
        churned: row.churned,
        downgraded: row.downgraded,
        emailedAnyway: row.emailed_anyway,
      };
    } else if (row.kind === 'week') {
      const week = campaign.weeks.get(row.key ?? '') ?? {
        treated: { every: 0, target: 0 },
        holdout: { every: 0, target: 0 },
      };
      week[row.group] = { every: row.every, target: row.target };
      campaign.weeks.set(row.key ?? '', week);
    } else {
      const reason = campaign.reasons.get(row.key ?? '') ?? { treated: 0, holdout: 0 };
      reason[row.group] = row.every;
      campaign.reasons.set(row.key ?? '', reason);
    }
  }
  return measured;
}

/** The row's `per_account` array as the two rates' sums (see `per_account` in the query). */
function perAccountSums(values: number[] | null): GroupMeasurement['perAccount'] {
  const at = (i: number) => Number(values?.[i] ?? 0);
  const sums = (from: number): AccountSums => ({
    accounts: at(from),
    y: at(from + 1),
    x: at(from + 2),
    yy: at(from + 3),
    xy: at(from + 4),
    xx: at(from + 5),
  });
  return { recontacts: sums(0), csat: sums(6) };
}
