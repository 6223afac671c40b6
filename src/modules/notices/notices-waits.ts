/**
 * How long a notices request waits for the database before it answers from what the instance
 * has (the catalog, cached accounts) or, having nothing, with a 503. Product apps call the
 * notices API on every page view; a database that stopped answering must not hold them
 * (test/bench/README.md says why 50 ms).
 */
export const NOTICES_DATABASE_WAIT_MS = 50;
/** An account not in memory is read within this, or the request gets a 503. */
export const NOTICES_ACCOUNT_LOAD_MS = 3_000;
