import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { ExposureGroup } from '../../db/schema';
import type { Deps } from '../../deps';
import { consolidateExposures } from '../notices/consolidate-exposures';
import { settleRecontacts } from '../tickets/recontact-work';
import type { GroupCounts } from './holdout-estimate';

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
  target: GroupCounts;
  every: GroupCounts;
  recontacts: number;
  resolved: number;
};

export type CampaignMeasurement = {
  groups: Record<ExposureGroup, GroupMeasurement>;
  /** Target-reason contacts per ISO week (workspace zone), per group. */
  weeks: Map<string, Record<ExposureGroup, number>>;
  /** Contacts per reason over the window, per group. */
  reasons: Map<string, Record<ExposureGroup, number>>;
};

/** A share, or null when there is nothing to divide by (never a fabricated 0). */
export const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** A group's companion metrics over the window, all reasons. */
export const groupCompanion = (group: GroupMeasurement, costPerTicketCents: number) => ({
  contacts: group.every.contacts,
  recontact_rate: rate(group.recontacts, group.every.contacts),
  resolution_rate: rate(group.resolved, group.every.contacts),
  cost_per_resolution_cents:
    group.resolved > 0
      ? Math.round((group.every.contacts * costPerTicketCents) / group.resolved)
      : null,
});

export type MeasuredCampaign = { id: string; targetReasons: string[]; windowEnd: Date };

const emptyGroup = (): GroupMeasurement => ({
  accounts: 0,
  target: { accounts: 0, contacts: 0, sumOfSquares: 0 },
  every: { accounts: 0, contacts: 0, sumOfSquares: 0 },
  recontacts: 0,
  resolved: 0,
});

type Row = {
  kind: 'group' | 'week' | 'reason';
  campaign_id: string;
  group: ExposureGroup;
  key: string | null;
  accounts: number;
  target: number;
  target_squares: number;
  every: number;
  every_squares: number;
  recontacts: number;
  resolved: number;
};

/**
 * One pass over every campaign's exposed accounts and their tickets from first exposure to the
 * end of the campaign's window: per group the per-account sums (and sums of squares, for the
 * variance), re-contacts and resolutions; target contacts per week; contacts per reason. The
 * impact endpoint asks it for one campaign, the leaders' report for all of a period's at once.
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
  const rows = rowsOf<Row>(
    await db.execute(sql`
      with c as (
        select * from jsonb_to_recordset(${jsonParam(input)})
          as c(id uuid, target_reasons jsonb, window_end timestamptz)
      ),
      seen as materialized (
        select e.campaign_id, e."group", e.account_id, t.id as ticket_id, t.reason_slug,
               t.is_recontact, t.resolved_at,
               to_char(date_trunc('week', t.created_at at time zone ${timeZone}), 'YYYY-MM-DD') as week,
               (jsonb_array_length(c.target_reasons) = 0
                 or c.target_reasons ? t.reason_slug) as is_target
        from c
        join exposures e on e.campaign_id = c.id
        left join tickets t
          on t.account_id = e.account_id and t.created_at >= e.first_at
         and t.created_at < c.window_end
      ),
      per_account as (
        select campaign_id, "group", account_id,
               count(ticket_id) filter (where is_target) as target,
               count(ticket_id) as every,
               count(ticket_id) filter (where is_recontact) as recontacts,
               count(ticket_id) filter (where resolved_at is not null) as resolved
        from seen group by 1, 2, 3
      )
      select 'group' as kind, campaign_id, "group", null as key, count(*)::int as accounts,
             sum(target)::float8 as target, sum(target * target)::float8 as target_squares,
             sum(every)::float8 as every, sum(every * every)::float8 as every_squares,
             sum(recontacts)::int as recontacts, sum(resolved)::int as resolved
      from per_account group by 2, 3
      union all
      select 'week', campaign_id, "group", week, 0, count(*)::float8, 0, 0, 0, 0, 0
      from seen where ticket_id is not null and is_target group by 2, 3, 4
      union all
      select 'reason', campaign_id, "group", reason_slug, 0, 0, 0, count(*)::float8, 0, 0, 0
      from seen where ticket_id is not null group by 2, 3, 4`),
  );
  for (const row of rows) {
    const campaign = measured.get(row.campaign_id);
    if (!campaign) continue;
    if (row.kind === 'group') {
      campaign.groups[row.group] = {
        accounts: row.accounts,
        target: { accounts: row.accounts, contacts: row.target, sumOfSquares: row.target_squares },
        every: { accounts: row.accounts, contacts: row.every, sumOfSquares: row.every_squares },
        recontacts: row.recontacts,
        resolved: row.resolved,
      };
      continue;
    }
    const byKey = row.kind === 'week' ? campaign.weeks : campaign.reasons;
    const key = row.key ?? '';
    const counts = byKey.get(key) ?? { treated: 0, holdout: 0 };
    counts[row.group] = row.kind === 'week' ? row.target : row.every;
    byKey.set(key, counts);
  }
  return measured;
}
