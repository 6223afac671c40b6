import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { DATABASE_WAIT_MS } from '../../db/database-errors';
import { type ApiKeyRow, apiKeys, type Role } from '../../db/schema';
import type { Deps } from '../../deps';
import type { Principal } from '../../http/app-env';
import { AppError, notFound } from '../../http/app-error';
import { type Page, type PageQuery, toPage } from '../../http/pagination';
import { CONFIGURED_KEY_LABEL } from '../../http/principal';
import { settledWithin } from '../../lib/settle-within';
import { generateApiKey, hashApiKey, visiblePrefix } from './api-key-secret';
import { PRINCIPAL_CACHE_MS, type RememberedKey } from './remembered-keys';

// Writing last_used_at on every request would turn each read into a write; a minute is
// precise enough to answer "is this key still in use?".
const LAST_USED_PRECISION_MS = 60_000;

export type ApiKeyView = {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
};

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

export async function createApiKey(
  deps: Deps,
  input: { name: string; role: Role; createdBy: string | null; key?: string },
): Promise<{ key: string; apiKey: ApiKeyView }> {
  const key = input.key ?? generateApiKey();
  const [row] = await deps.db
    .insert(apiKeys)
    .values({
      id: uuidv7(),
      name: input.name,
      role: input.role,
      prefix: input.key === undefined ? visiblePrefix(key) : CONFIGURED_KEY_LABEL,
      secretHash: hashApiKey(key),
      createdAt: deps.clock.now(),
      createdBy: input.createdBy,
    })
    .returning();
  if (!row) throw new Error('insert into api_keys returned no row');
  return { key, apiKey: toApiKeyView(row) };
}

export async function getApiKey(deps: Deps, id: string): Promise<ApiKeyView | undefined> {
  const [row] = await deps.db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row ? toApiKeyView(row) : undefined;
}

export async function listApiKeys(
  deps: Deps,
  query: PageQuery & { includeRevoked: boolean },
): Promise<Page<ApiKeyView>> {
  const rows = await deps.db
    .select()
    .from(apiKeys)
    .where(
      and(
        query.cursor ? gt(apiKeys.id, query.cursor) : undefined,
        query.includeRevoked ? undefined : isNull(apiKeys.revokedAt),
      ),
    )
    .orderBy(asc(apiKeys.id))
    .limit(query.limit + 1);
  return toPage(rows.map(toApiKeyView), query.limit);
}

/** Idempotent: revoking a revoked key returns it unchanged. */
export async function revokeApiKey(deps: Deps, id: string): Promise<ApiKeyView> {
  return deps.db.transaction(async (tx) => {
    // A key's role never changes, so it can be read before anything is locked.
    const [target] = await tx
      .select({ role: apiKeys.role })
      .from(apiKeys)
      .where(eq(apiKeys.id, id));
    if (!target) throw notFound(`API key ${id}`);
    // Every active admin key is locked, in id order, before the key itself, so two concurrent
    // revocations cannot both pass the last-admin check. Locking its own key first, then the
    // rest, made two admins revoking each other deadlock.
    const activeAdmins =
      target.role === 'admin'
        ? await tx
            .select({ id: apiKeys.id })
            .from(apiKeys)
            .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)))
            .orderBy(asc(apiKeys.id))
            .for('update')
        : [];
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
    if (!row) throw notFound(`API key ${id}`);
    if (row.revokedAt) return toApiKeyView(row);
    if (row.role === 'admin' && activeAdmins.length <= 1) {
      throw new AppError(
        'last_admin_key',
        'This is the last active admin key; create another admin key before revoking it.',
      );
    }
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: deps.clock.now() })
      .where(eq(apiKeys.id, id))
      .returning();
    if (!revoked) throw notFound(`API key ${id}`);
    deps.principals.clear();
    return toApiKeyView(revoked);
  });
}

// A key is checked again once its check is this old, by one request while the others go on.
const RECHECK_AFTER_MS = PRINCIPAL_CACHE_MS / 2;
// While that check is under way, the others go on until the key is this old: a check that
// starts just before PRINCIPAL_CACHE_MS must not hold every request behind it.
const RECHECKING_TRUST_MS = PRINCIPAL_CACHE_MS + DATABASE_WAIT_MS;

/**
 * Resolves a presented key to its principal; revoked and unknown keys resolve to null. A valid
 * key is trusted for `PRINCIPAL_CACHE_MS` after it was last checked, which saves the hot paths
 * a query per request. Past half that, the request that comes first checks it again (and
 * writes down its use when that is due) while the others are answered from memory, so a key
 * in steady use never makes a request wait for the database.
 */
export async function authenticateApiKey(deps: Deps, key: string): Promise<Principal | null> {
  const secretHash = hashApiKey(key);
  const remembered = deps.principals.get(secretHash);
  if (!remembered) return checkKey(deps, secretHash);
  const age = performance.now() - remembered.checkedAt;
  if (age < RECHECK_AFTER_MS && !lastUseIsStale(remembered, deps.clock.now())) {
    return remembered.principal;
  }
  // While the database cannot confirm a key (a check failed and none has succeeded since, or
  // the check under way takes over DATABASE_WAIT_MS), a key this instance checked in the last
  // STALE_KEY_LIMIT_MS is trusted from memory: an outage must not lock product apps out, nor
  // make them wait. A key found revoked is refused at once.
  const trustable = age < STALE_KEY_LIMIT_MS;
  const away = remembered.failedAt !== undefined;
  const sinceCheck = performance.now() - (remembered.recheckStartedAt ?? 0);
  if (remembered.recheck) {
    // A check already overdue is not waited for again by every request that follows, nor is
    // one that started before the key left its trust window: only its starter waits.
    const overdue = sinceCheck > DATABASE_WAIT_MS;
    if (age < RECHECKING_TRUST_MS || ((away || overdue) && trustable)) {
      return remembered.principal;
    }
    return trustable
      ? settledWithin(remembered.recheck, DATABASE_WAIT_MS, remembered.principal)
      : remembered.recheck;
  }
  // Away: one check in the background probes for the database's return this often.
  if (away && trustable && sinceCheck < RECHECK_AFTER_MS) return remembered.principal;
  const recheck = checkKey(deps, secretHash)
    .catch((error: unknown) => {
      remembered.failedAt = performance.now();
      throw error;
    })
    .finally(() => {
      remembered.recheck = undefined;
    });
  remembered.recheck = recheck;
  remembered.recheckStartedAt = performance.now();
  if (!trustable) return recheck;
  if (away) {
    recheck.catch(() => {});
    return remembered.principal;
  }
  return settledWithin(recheck, DATABASE_WAIT_MS, remembered.principal);
}

/**
 * What `authenticateApiKey` answers from memory alone, without waiting: the principal of a key
 * checked moments ago (or being checked again, within `PRINCIPAL_CACHE_MS`); undefined when
 * the database must be asked, or the key is unknown.
 */
export function principalInMemory(deps: Deps, key: string): Principal | undefined {
  const remembered = deps.principals.get(hashApiKey(key));
  if (!remembered) return undefined;
  const age = performance.now() - remembered.checkedAt;
  if (remembered.recheck) return age < RECHECKING_TRUST_MS ? remembered.principal : undefined;
  const fresh = age < RECHECK_AFTER_MS && !lastUseIsStale(remembered, deps.clock.now());
  return fresh ? remembered.principal : undefined;
}

/** How long a key checked once is trusted from memory while the database cannot answer. */
const STALE_KEY_LIMIT_MS = 15 * 60_000;

async function checkKey(deps: Deps, secretHash: string): Promise<Principal | null> {
  const checkedAt = performance.now();
  const [row] = await deps.db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.secretHash, secretHash))
    .limit(1);
  if (!row || row.revokedAt) {
    deps.principals.delete(secretHash);
    return null;
  }
  const entry: RememberedKey = {
    principal: { keyId: row.id, name: row.name, role: row.role, prefix: row.prefix },
    checkedAt,
    lastUsedAt: row.lastUsedAt,
  };
  const now = deps.clock.now();
  if (lastUseIsStale(entry, now)) {
    entry.lastUsedAt = now;
    await deps.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id));
  }
  deps.principals.set(secretHash, entry);
  return entry.principal;
}

/** `last_used_at` is written at most once a minute per key, so reads do not become writes. */
const lastUseIsStale = (entry: RememberedKey, now: Date) =>
  !entry.lastUsedAt || now.getTime() - entry.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS;

export type BootstrapResult =
  | { created: false }
  | { created: true; source: 'generated'; key: string; apiKey: ApiKeyView }
  | { created: true; source: 'ADMIN_API_KEY'; apiKey: ApiKeyView };

/**
 * On an empty database, creates the first admin key: ADMIN_API_KEY when configured,
 * otherwise a generated one that the caller prints once. The table lock makes concurrent
 * first starts of several instances create exactly one key.
 */
export async function ensureBootstrapAdminKey(deps: Deps): Promise<BootstrapResult> {
  return deps.db.transaction(async (tx) => {
    await tx.execute(sql`lock table ${apiKeys} in exclusive mode`);
    const [existing] = await tx.select({ id: apiKeys.id }).from(apiKeys).limit(1);
    if (existing) return { created: false };
    const txDeps = { ...deps, db: tx };
    const configured = deps.config.adminApiKey;
    const { key, apiKey } = await createApiKey(txDeps, {
      name: 'bootstrap admin',
      role: 'admin',
      createdBy: null,
      key: configured,
    });
    return configured
      ? { created: true, source: 'ADMIN_API_KEY', apiKey }
      : { created: true, source: 'generated', key, apiKey };
  });
}
