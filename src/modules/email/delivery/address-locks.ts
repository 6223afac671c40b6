import { sql } from 'drizzle-orm';
import { ADVISORY_LOCKS } from '../../../db/advisory-locks';
import type { Db } from '../../../db/database';
import { arrayParam, rowsOf } from '../../../db/json-param';

/**
 * Holds, until the caller's transaction ends, the addresses an account sync plans around: its
 * accounts' own (those they had and have), exclusively, and the other addresses of every
 * account holding one of them, shared. A sync's plan reads who holds these, so two syncs
 * whose accounts share an address, or one changing an account the other reads beside its
 * own, run one after the other and each plans what the other committed; syncs reading the
 * same addresses beside theirs still run together.
 *
 * The locks are taken in one statement, in key order, holding no other address lock, so
 * syncs wait for one another and never deadlock. The addresses beside are read before they
 * are locked, so they are read again once they are: when a sync committed meanwhile gave an
 * account new ones, the locks are given back (rolled back to a savepoint) and all of them
 * taken again in order, rather than the missing ones taken after the others.
 */
export async function holdAddresses(tx: Db, own: string[]): Promise<void> {
  if (own.length === 0) return;
  let beside: string[] = [];
  for (;;) {
    await tx.execute(sql`savepoint address_locks`);
    const held = new Set(await lockAddresses(tx, own, beside));
    const needed = await addressesBeside(tx, own);
    if (needed.every((address) => held.has(address))) {
      await tx.execute(sql`release savepoint address_locks`);
      return;
    }
    await tx.execute(sql`rollback to savepoint address_locks`);
    beside = [...held, ...needed];
  }
}

/** Locks `own`, `beside` and the addresses beside `own` as read now; the addresses locked. */
async function lockAddresses(tx: Db, own: string[], beside: string[]): Promise<string[]> {
  const owned = arrayParam(own);
  const rows = rowsOf<{ addresses: string[] }>(
    await tx.execute(sql`
      with wanted (email, exclusive) as (
        select email, true from unnest(${owned}) email
        union all
        select email, false from unnest(${arrayParam(beside)}) email
        union all
        select other.email, false from account_contacts mine
        join account_contacts other on other.account_id = mine.account_id
        where mine.email = any(${owned})
      ),
      keys as materialized (
        select hashtext(email) as key, bool_or(exclusive) as exclusive,
               array_agg(distinct email) as addresses
        from wanted group by 1 order by 1
      )
      select addresses,
             case when exclusive then pg_advisory_xact_lock(${ADVISORY_LOCKS.emailAddresses}, key)::text
                  else pg_advisory_xact_lock_shared(${ADVISORY_LOCKS.emailAddresses}, key)::text end as locked
      from keys`),
  );
  return rows.flatMap((row) => row.addresses);
}

/** The other addresses of the accounts holding one of `own`. */
async function addressesBeside(tx: Db, own: string[]): Promise<string[]> {
  return rowsOf<{ email: string }>(
    await tx.execute(sql`
      select distinct other.email from account_contacts mine
      join account_contacts other on other.account_id = mine.account_id
      where mine.email = any(${arrayParam(own)})`),
  ).map((row) => row.email);
}

/**
 * Holds `address` and every address of the accounts holding it, exclusively, as a sync of
 * those accounts holds them (`holdAddresses`); those accounts' contacts, read once held. Who
 * holds the address is read before the locks are taken, so it is read again once they are:
 * when a sync committed meanwhile changed it, they are given back and all taken again.
 */
export async function holdAccountsWith(
  tx: Db,
  address: string,
): Promise<{ accountId: string; email: string }[]> {
  let own = [address, ...(await contactsOfHolders(tx, address)).map((c) => c.email)];
  for (;;) {
    await tx.execute(sql`savepoint account_locks`);
    await holdAddresses(tx, [...new Set(own)]);
    const contacts = await contactsOfHolders(tx, address);
    if (contacts.every((contact) => own.includes(contact.email))) {
      await tx.execute(sql`release savepoint account_locks`);
      return contacts;
    }
    await tx.execute(sql`rollback to savepoint account_locks`);
    own = [...own, ...contacts.map((contact) => contact.email)];
  }
}

/** Every contact of the accounts holding `address`. */
async function contactsOfHolders(tx: Db, address: string) {
  return rowsOf<{ accountId: string; email: string }>(
    await tx.execute(sql`
      select other.account_id as "accountId", other.email from account_contacts mine
      join account_contacts other on other.account_id = mine.account_id
      where mine.email = ${address}`),
  );
}
