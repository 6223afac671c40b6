import { asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { arrayParam, jsonParam, rowsOf } from '../../db/json-param';
import { retryingTransaction } from '../../db/retry-transaction';
import { type AccountRow, accountContacts, accounts } from '../../db/schema';
import type { ChangedAddresses, Deps } from '../../deps';
import { notFound } from '../../http/app-error';
import { encodeKeyCursor, type Page, toPage } from '../../http/pagination';
import { emailKey } from '../../lib/email-key';
import type { AccountInput, AccountView } from './account-input';

export type AccountUpsert = AccountInput & { id: string };
export type AccountBatchSummary = {
  received: number;
  created: number;
  updated: number;
  repeated: number;
};

/**
 * Creates or replaces accounts, all or nothing; contacts are replaced with the ones given.
 * Copies of one account in a batch count as tickets' copies do, as if sent one after another:
 * the last is stored, each later copy replaces the one before (an update), and `repeated` says
 * how many of the updates were such copies. So received = created + updated.
 */
export async function upsertAccounts(
  deps: Deps,
  inputs: AccountUpsert[],
): Promise<AccountBatchSummary> {
  const byId = new Map<string, AccountUpsert>();
  for (const input of inputs) {
    byId.delete(input.id);
    byId.set(input.id, input);
  }
  const latest = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const now = deps.clock.now().toISOString();
  const created = await retryingTransaction(deps.db, (tx) => writeAccounts(deps, tx, latest, now));
  deps.notices.accounts.evict(latest.map((account) => account.id));
  const repeated = inputs.length - latest.length;
  return {
    received: inputs.length,
    created,
    updated: latest.length - created + repeated,
    repeated,
  };
}

/**
 * Upserts the accounts (one copy of each), replaces their contacts and plans their emails
 * again; how many were new.
 */
async function writeAccounts(
  deps: Deps,
  tx: Db,
  latest: AccountUpsert[],
  now: string,
): Promise<number> {
  const rows = rowsOf<{ created: boolean }>(await tx.execute(upsertStatement(latest, now)));
  const addresses = await replaceContacts(tx, latest);
  await deps.afterAccountsChange(
    deps,
    tx,
    latest.map((account) => account.id),
    addresses,
  );
  return rows.filter((row) => row.created).length;
}

function upsertStatement(latest: AccountUpsert[], now: string) {
  const rows = latest.map((a) => ({
    id: a.id,
    plan: a.plan ?? null,
    region: a.region ?? null,
    components: [...new Set(a.components)],
    locale: a.locale ?? null,
    time_zone: a.time_zone ?? null,
    attributes: a.attributes,
    churned_at: a.churned_at ? new Date(a.churned_at).toISOString() : null,
    downgraded_at: a.downgraded_at ? new Date(a.downgraded_at).toISOString() : null,
  }));
  // xmax = 0 only for a row this statement inserted (an update leaves the old version's xid).
  return sql`
    insert into accounts (id, plan, region, components, locale, time_zone, attributes,
                          churned_at, downgraded_at, created_at, updated_at)
    select id, plan, region, components, locale, time_zone, attributes, churned_at,
           downgraded_at, ${now}, ${now}
    from jsonb_to_recordset(${jsonParam(rows)}) as a(id text, plan text, region text,
      components jsonb, locale text, time_zone text, attributes jsonb,
      churned_at timestamptz, downgraded_at timestamptz)
    order by id
    on conflict (id) do update set
      plan = excluded.plan, region = excluded.region, components = excluded.components,
      locale = excluded.locale, time_zone = excluded.time_zone,
      attributes = excluded.attributes, churned_at = excluded.churned_at,
      downgraded_at = excluded.downgraded_at, updated_at = excluded.updated_at
    returning (xmax = 0) as created`;
}

/** Replaces the accounts' contacts; the addresses they had and have. */
async function replaceContacts(tx: Db, latest: AccountUpsert[]): Promise<ChangedAddresses> {
  const former = await dropContacts(
    tx,
    latest.map((a) => a.id),
  );
  const contacts = latest.flatMap((a) => {
    const byEmail = new Map<
      string,
      {
        account_id: string;
        email: string;
        email_as_given: string;
        name: string | null;
        locale: string | null;
      }
    >();
    // One contact per mailbox however it is spelt; the last spelling given is the one kept.
    for (const contact of a.contacts) {
      const email = emailKey(contact.email);
      byEmail.set(email, {
        account_id: a.id,
        email,
        email_as_given: contact.email,
        name: contact.name ?? null,
        locale: contact.locale ?? null,
      });
    }
    return [...byEmail.values()];
  });
  if (contacts.length > 0) {
    await tx.execute(sql`
      insert into account_contacts (account_id, email, email_as_given, name, locale)
      select * from jsonb_to_recordset(${jsonParam(contacts)})
        as c(account_id text, email text, email_as_given text, name text, locale text)`);
  }
  return { former, current: contacts.map((contact) => contact.email) };
}

/**
 * Deletes the accounts' contacts; the addresses they had. The accounts are locked first (by
 * the caller), so no other change to their contacts is under way.
 */
async function dropContacts(tx: Db, ids: string[]): Promise<string[]> {
  return rowsOf<{ email: string }>(
    await tx.execute(sql`
      delete from account_contacts
      where account_id = any(${arrayParam(ids)})
      returning email`),
  ).map((row) => row.email);
}

export async function putAccount(
  deps: Deps,
  input: AccountUpsert,
): Promise<{ account: AccountView; created: boolean }> {
  const now = deps.clock.now().toISOString();
  // Read before the commit: a PUT racing this one must not lend this answer its values.
  const answer = await retryingTransaction(deps.db, async (tx) => ({
    created: (await writeAccounts(deps, tx, [input], now)) > 0,
    account: await getAccount(deps, input.id, tx),
  }));
  deps.notices.accounts.evict([input.id]);
  return answer;
}

export async function getAccountRow(deps: Deps, id: string, db: Db = deps.db): Promise<AccountRow> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  if (!row) throw notFound(`Account ${id}`);
  return row;
}

/** One account with its contacts; read through `db` when it is a transaction that changed it. */
export async function getAccount(deps: Deps, id: string, db: Db = deps.db): Promise<AccountView> {
  const row = await getAccountRow(deps, id, db);
  const [view] = await withContacts(db, [row]);
  if (!view) throw notFound(`Account ${id}`);
  return view;
}

export async function listAccounts(
  deps: Deps,
  query: { limit: number; cursor?: string },
): Promise<Page<AccountView>> {
  const rows = await deps.db
    .select()
    .from(accounts)
    .where(query.cursor ? gt(accounts.id, query.cursor) : undefined)
    .orderBy(asc(accounts.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit, (row) => encodeKeyCursor(row.id));
  return { data: await withContacts(deps.db, page.data), next_cursor: page.next_cursor };
}

/**
 * Deleting an account removes its contacts and dismissals and cancels its queued emails; its
 * tokens stop working.
 */
export async function deleteAccount(deps: Deps, id: string): Promise<void> {
  await retryingTransaction(deps.db, async (tx) => {
    const [locked] = await tx
      .select({ id: accounts.id })
      .from(accounts)
      .where(eq(accounts.id, id))
      .for('update');
    if (!locked) throw notFound(`Account ${id}`);
    // Read as they are deleted, with the account locked (its contacts would go with it).
    const former = await dropContacts(tx, [id]);
    await tx.delete(accounts).where(eq(accounts.id, id));
    await deps.afterAccountsChange(deps, tx, [id], { former, current: [] });
  });
  deps.notices.accounts.evict([id]);
}

async function withContacts(db: Db, rows: AccountRow[]): Promise<AccountView[]> {
  if (rows.length === 0) return [];
  const contacts = await db
    .select()
    .from(accountContacts)
    .where(
      inArray(
        accountContacts.accountId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(accountContacts.email));
  return rows.map((row) => ({
    id: row.id,
    plan: row.plan,
    region: row.region,
    components: row.components,
    locale: row.locale,
    time_zone: row.timeZone,
    attributes: row.attributes,
    churned_at: row.churnedAt?.toISOString() ?? null,
    downgraded_at: row.downgradedAt?.toISOString() ?? null,
    contacts: contacts
      .filter((c) => c.accountId === row.id)
      .map((c) => ({ email: c.emailAsGiven ?? c.email, name: c.name, locale: c.locale })),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  }));
}
