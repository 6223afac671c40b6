import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sql } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import { rowsOf } from '../../../db/json-param';
import { AppError } from '../../../http/app-error';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * What one may ask of the public subscribe form, in fixed windows counted in the database (so
 * every instance shares them): a client address (its /64 for IPv6) ten times an hour, one
 * mailbox, however tagged, five times a day, and everyone together 500 times an hour.
 * Requests taken count whether or not an email follows, so a refusal says nothing of the
 * address; one refused counts nowhere (its transaction is rolled back), as a 4xx changes
 * nothing.
 */
export const SUBSCRIBE_LIMITS = {
  client: { max: 10, windowMs: HOUR },
  mailbox: { max: 5, windowMs: DAY },
  all: { max: 500, windowMs: HOUR },
} as const;

const LONGEST_WINDOW_MS = Math.max(...Object.values(SUBSCRIBE_LIMITS).map((l) => l.windowMs));

/**
 * Counts one request to subscribe `email` from `client`, limit by limit; throws a 429 with
 * `Retry-After` at the first limit it exceeds. Run in the request's transaction, so that a
 * refusal takes back what it counted.
 */
export async function countSubscribeRequest(
  db: Db,
  now: Date,
  request: { client: string; email: string },
): Promise<void> {
  const buckets: [keyof typeof SUBSCRIBE_LIMITS, string][] = [
    ['client', `client:${request.client}`],
    [
      'mailbox',
      `mailbox:${bytesToHex(sha256(new TextEncoder().encode(mailboxOf(request.email))))}`,
    ],
    ['all', 'all'],
  ];
  for (const [limit, bucket] of buckets) {
    const { max, windowMs } = SUBSCRIBE_LIMITS[limit];
    const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
    const [counted] = rowsOf<{ hits: number }>(
      await db.execute(sql`
        insert into status_subscribe_counts (bucket, window_start, hits)
        values (${bucket}, ${new Date(windowStart).toISOString()}, 1)
        on conflict (bucket, window_start)
          do update set hits = status_subscribe_counts.hits + 1
        returning hits`),
    );
    if ((counted?.hits ?? 0) > max) {
      throw new AppError(
        'rate_limited',
        `Too many requests to subscribe ${LIMIT_NAMES[limit]}; try again later.`,
        undefined,
        Math.max(1, Math.ceil((windowStart + windowMs - now.getTime()) / 1000)),
      );
    }
  }
}

const LIMIT_NAMES: Record<keyof typeof SUBSCRIBE_LIMITS, string> = {
  client: 'from this network',
  mailbox: 'this mailbox',
  all: 'from anyone',
};

/** Forgets the counts of windows that have ended. */
export async function forgetSubscribeCounts(db: Db, now: Date): Promise<void> {
  await db.execute(sql`
    delete from status_subscribe_counts
    where window_start < ${new Date(now.getTime() - LONGEST_WINDOW_MS).toISOString()}`);
}

const DOTLESS_DOMAINS: Record<string, string> = {
  'gmail.com': 'gmail.com',
  'googlemail.com': 'gmail.com',
};

/**
 * The mailbox an address delivers to, as far as it can be told: without a `+tag` (which most
 * providers deliver to the untagged address), and for Gmail without dots in the local part.
 */
export function mailboxOf(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1).toLowerCase();
  let local = email.slice(0, at).toLowerCase();
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  const dotless = DOTLESS_DOMAINS[domain];
  return dotless ? `${local.replaceAll('.', '')}@${dotless}` : `${local}@${domain}`;
}
