import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';

export type HoldoutReach = { accounts: number; held_out: number };

/**
 * Held-out accounts that got the campaign's email anyway: a campaign emails each address once,
 * for the first account in its audience that has it, so an address a held-out account shares
 * with a treated one is emailed. They stay in the holdout as assigned (intent to treat), which
 * pulls the estimate towards zero; this says by how many accounts. Counted over the accounts
 * held out by now (an email's moment still to come is not yet an exposure).
 */
export async function holdoutReach(db: Db, campaignId: string, now: Date): Promise<HoldoutReach> {
  const [row] = rowsOf<HoldoutReach>(
    await db.execute(sql`
      select count(*)::int as held_out,
        (count(*) filter (where exists (
          select 1 from account_contacts ac
          join email_deliveries d on d.email = ac.email and d.campaign_id = x.campaign_id
          where ac.account_id = x.account_id and d.status in ('sent', 'delivered', 'complained')
        )))::int as accounts
      from exposures x
      where x.campaign_id = ${campaignId} and x."group" = 'holdout'
        and x.first_at <= ${now.toISOString()}::timestamptz`),
  );
  return row ?? { accounts: 0, held_out: 0 };
}
