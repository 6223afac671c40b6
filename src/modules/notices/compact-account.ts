import { type AudienceSubject, lowerAhead } from '../campaigns/audience';
import type { NoticeAccount } from './account-cache';

/** An account as the database hands it to the notices cache. */
export type AccountRow = AudienceSubject & {
  created_at: string | Date;
  dismissed: string[] | null;
};

// Why: a million accounts must fit in an instance's memory (bench:notices-memory,
// test/bench/README.md "Notices account cache"). Accounts repeat the same plans, regions,
// component lists and attribute sets, so one copy of each is shared, most accounts dismissed
// nothing, and their fields are usually lower-case already, so rules match them as they are.
const INTERNED_MAX = 200_000;
// The table is never emptied, so it is bounded in characters too, and a value longer than
// a few lines (a large attribute set) is likely an account's own: it stays unshared, and goes
// with its account.
const INTERNED_MAX_CHARS = 4_000_000;
const SHARED_MAX_CHARS = 1_000;
const interned = new Map<string, unknown>();
let internedChars = 0;
// The objects held in `interned`, so a record's size is told without serializing it again.
const sharedObjects = new WeakSet<object>();
// The JSON length of objects left unshared, for the cache's budget.
const ownChars = new WeakMap<object, number>();
const NOTHING_DISMISSED: ReadonlySet<string> = new Set();

/** The one shared copy of `value` (strings, arrays and plain objects, compared as JSON). */
function share<T>(value: T): T {
  if (value === null || value === undefined || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value;
  const key = typeof value === 'string' ? value : `\u0000${JSON.stringify(value)}`;
  const known = interned.get(key);
  if (known !== undefined) return known as T;
  // Past the bounds, new values are kept as they are: rare values (names, ids) would only
  // grow the table.
  if (
    key.length <= SHARED_MAX_CHARS &&
    interned.size < INTERNED_MAX &&
    internedChars + key.length <= INTERNED_MAX_CHARS
  ) {
    interned.set(key, freeze(value));
    internedChars += key.length;
    if (typeof value === 'object') sharedObjects.add(value as object);
  } else if (typeof value === 'object') {
    ownChars.set(value as object, key.length);
  }
  return value;
}

function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) freeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** A row as the compact record the cache keeps: shared values, lowered ahead of matching. */
export function compactAccount(row: AccountRow): NoticeAccount {
  const account: NoticeAccount = {
    id: row.id,
    plan: share(row.plan),
    region: share(row.region),
    components: share(row.components),
    locale: share(row.locale),
    time_zone: share(row.time_zone),
    attributes: share(row.attributes),
    createdAtMs: new Date(row.created_at).getTime(),
    dismissed: row.dismissed?.length ? new Set(row.dismissed) : NOTHING_DISMISSED,
    answer: undefined,
  };
  return lowerAhead(account, share);
}

/**
 * What a record holds in memory, in bytes, answer included: the shared part as measured
 * (bench:notices-memory), then what is the account's own. An estimate, for the cache's budget.
 */
export function accountBytes(account: NoticeAccount): number {
  let bytes = ACCOUNT_BASE_BYTES + account.id.length;
  if (account.dismissed !== NOTHING_DISMISSED) bytes += 120 + 60 * account.dismissed.size;
  if (!sharedObjects.has(account.attributes)) {
    // Two bytes a character, and as much again for the lower-cased view rules match.
    const chars = ownChars.get(account.attributes);
    bytes += chars === undefined ? 48 + 24 * Object.keys(account.attributes).length : 4 * chars;
  }
  return bytes;
}

/** A record with an id of a dozen characters, its answer kept, as measured on the bench data. */
export const ACCOUNT_BASE_BYTES = 630;
