import { LRUCache } from 'lru-cache';
import type { AudienceSubject } from '../campaigns/audience';

/** What the notices hot path needs of an account: its attributes, age and dismissals. */
export type NoticeAccount = AudienceSubject & { createdAtMs: number; dismissed: Set<string> };

/**
 * Accounts as the notices API last read them, for at most a second (an ops change or a
 * dismissal on another instance shows within that, well inside the 2-second promise). Writes
 * on this instance evict their entry, so an app reads its own dismissals at once.
 */
export const ACCOUNT_CACHE_MS = 1_000;

export function createAccountCache() {
  return new LRUCache<string, NoticeAccount>({ max: 100_000, ttl: ACCOUNT_CACHE_MS });
}

export type AccountCache = ReturnType<typeof createAccountCache>;
