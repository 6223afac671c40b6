import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';

const CHUNK = 2_000;

/**
 * Folds the exposure log into `exposures`: for each campaign and account, the group and the
 * first time it was seen. Log rows are claimed with SKIP LOCKED and deleted in the same
 * transaction as the insert, so concurrent runs share the work and a crash loses nothing.
 * Campaigns deleted since are skipped, as their cascade would have removed them.
 */
export async function consolidateExposures(deps: Deps): Promise<number> {
  let moved = 0;
  for (;;) {
    const [result] = rowsOf<{ claimed: number }>(
      await deps.db.execute(sql`
        with claimed as (
          delete from exposure_log
          where id in (
            select id from exposure_log order by id limit ${CHUNK} for update skip locked
          )
          returning account_id, channel, seen_at, treated, held_out
        ),
        seen as (
          select distinct on (campaign_id, account_id)
                 campaign_id, account_id, "group", channel, seen_at
          from (
            select t.value::uuid as campaign_id, c.account_id, 'treated' as "group",
                   c.channel, c.seen_at
            from claimed c cross join lateral jsonb_array_elements_text(c.treated) t
            union all
            select h.value::uuid, c.account_id, 'holdout', c.channel, c.seen_at
            from claimed c cross join lateral jsonb_array_elements_text(c.held_out) h
          ) s
          order by campaign_id, account_id, seen_at
        ),
        inserted as (
          insert into exposures (campaign_id, account_id, "group", channel, first_at)
          select campaign_id, account_id, "group", channel, seen_at from seen
          where exists (select 1 from campaigns where campaigns.id = seen.campaign_id)
          order by campaign_id, account_id
          on conflict (campaign_id, account_id)
          do update set first_at = least(exposures.first_at, excluded.first_at)
          where excluded.first_at < exposures.first_at
        )
        select count(*)::int as claimed from claimed`),
    );
    const claimed = result?.claimed ?? 0;
    moved += claimed;
    if (claimed < CHUNK) return moved;
  }
}
