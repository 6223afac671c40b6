import type { Principal } from '../../http/principal';

/**
 * A key found valid: when this instance last checked it (`performance.now()`), when its use
 * was last written down, and the check under way, if any.
 */
export type RememberedKey = {
  principal: Principal;
  checkedAt: number;
  lastUsedAt: Date | null;
  recheck?: Promise<Principal | null>;
  recheckStartedAt?: number;
  /** When a check failed for want of a database (`performance.now()`); a success replaces it. */
  failedAt?: number;
};

/**
 * How long an instance trusts a key it has checked. Revoking a key clears this cache on the
 * instance that revoked it; other instances refuse the key within this time.
 */
export const PRINCIPAL_CACHE_MS = 1_000;
