import { and, asc, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import { arrayParam, rowsOf } from '../../../db/json-param';
import { campaigns } from '../../../db/schema';
import type { ChangedAddresses, Deps } from '../../../deps';
import { publishedCampaign, runsPast } from '../../campaigns/campaign-status';
import { holdAddresses } from './address-locks';
import { type AccountsScope, planDeliveries, recipientsOf } from './delivery-plan.service';

/**
 * What follows a change to accounts (`Deps.afterAccountsChange`): every email campaign still
 * to send plans those accounts again, in the transaction that changed them. An account that
 * joins an audience after the campaign was published is sent its email, one that leaves it or
 * is deleted is not, and a new contact address is added.
 */
export async function followAccountsChange(
  deps: Deps,
  tx: Db,
  accountIds: string[],
  addresses: ChangedAddresses,
) {
  if (accountIds.length === 0) return;
  const now = deps.clock.now();
  if (!(await anySending(tx, now))) return;
  // Before the campaigns' rows: a campaign change waits for no address lock, so one holding
  // its row never waits for this sync while this sync waits for it.
  await holdAddresses(tx, [...new Set([...addresses.former, ...addresses.current])]);
  // A campaign change holds its row for update while it plans the whole audience; sharing the
  // lock makes this plan wait for it (and it for this one), so neither cancels deliveries the
  // other queued in a transaction it could not see. One this select cannot see yet (being
  // published) waits for this sync instead, on the accounts table (followCampaignChange).
  // Read after this sync's own writes, so a publish that held the table is seen here.
  const sending = await sendingCampaigns(tx, now).for('share');
  if (sending.length === 0) return;
  const scope = await readScope(
    tx,
    accountIds,
    addresses.current,
    sending.map((campaign) => campaign.id),
  );
  for (const campaign of sending) await planDeliveries(deps, tx, campaign, scope);
}

const sendingCampaigns = (tx: Db, now: Date) =>
  tx
    .select()
    .from(campaigns)
    .where(
      and(
        publishedCampaign,
        runsPast(now),
        isNotNull(campaigns.email),
        sql`${campaigns.channels} ? 'email'`,
      ),
    )
    .orderBy(asc(campaigns.id));

/**
 * Waits for the changes under way to campaigns that send email (each holds its row while it
 * plans its whole audience) and holds new ones back until this transaction ends.
 */
export async function holdSendingCampaigns(tx: Db, now: Date): Promise<void> {
  await sendingCampaigns(tx, now).for('share');
}

/** Whether a campaign sends email, read without a lock: most syncs need take none. */
async function anySending(tx: Db, now: Date): Promise<boolean> {
  return (await sendingCampaigns(tx, now).limit(1)).length > 0;
}

/**
 * The changed accounts, the addresses they have or had queued, and the other accounts with
 * one of those addresses, read once for all the campaigns. Every account read holds an
 * address `holdAddresses` holds, so none changes before this plan commits.
 */
async function readScope(
  tx: Db,
  ids: string[],
  current: string[],
  campaignIds: string[],
): Promise<AccountsScope> {
  const changed = new Set(ids);
  const queuedRows = rowsOf<{ id: string; campaign_id: string; email: string }>(
    await tx.execute(sql`
      select id, campaign_id, email from email_deliveries
      where account_id = any(${arrayParam(ids)}) and status = 'queued'
        and campaign_id = any(${arrayParam(campaignIds, 'uuid')})`),
  );
  const addresses = new Set([...current, ...queuedRows.map((row) => row.email)]);
  const others = await otherAccountsWith(tx, addresses, changed);
  const beside = await holdersOfOtherAddresses(tx, others, addresses);
  const queued = new Map<string, { id: string; email: string }[]>();
  for (const row of queuedRows) {
    const list = queued.get(row.campaign_id);
    if (list) list.push(row);
    else queued.set(row.campaign_id, [row]);
  }
  const recipients = await recipientsOf(tx, [...ids, ...others, ...beside]);
  return { recipients, changed, addresses, queued, beside: new Set(beside) };
}

/**
 * The accounts holding another address of the accounts sharing one with the changed ones, and
 * none of `addresses` (whose holders are planned, or left to the sync changing them): whether
 * a sharer can still be reached, and so held out, depends on whether an account before it is
 * sent those. Read, not planned: their addresses are held shared (`holdAddresses`).
 */
async function holdersOfOtherAddresses(
  tx: Db,
  sharers: string[],
  addresses: Set<string>,
): Promise<string[]> {
  if (sharers.length === 0) return [];
  return rowsOf<{ account_id: string }>(
    await tx.execute(sql`
      select distinct other.account_id from account_contacts own
      join account_contacts other on other.email = own.email
      where own.account_id = any(${arrayParam(sharers)})
        and not exists (
          select 1 from account_contacts held
          where held.account_id = other.account_id
            and held.email = any(${arrayParam([...addresses])}))`),
  ).map((row) => row.account_id);
}

/** The other accounts with one of these addresses. */
async function otherAccountsWith(
  tx: Db,
  addresses: Set<string>,
  changed: Set<string>,
): Promise<string[]> {
  if (addresses.size === 0) return [];
  return rowsOf<{ account_id: string }>(
    await tx.execute(sql`
      select distinct account_id from account_contacts
      where email = any(${arrayParam([...addresses])})`),
  ).flatMap((row) => (changed.has(row.account_id) ? [] : [row.account_id]));
}
