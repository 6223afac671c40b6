import { hash } from 'node:crypto';
import { base64url } from '../../lib/base64url';

/** API key material: `fst_` + 32 random base64url characters; only the SHA-256 is stored. */

const KEY_PREFIX = 'fst_';
const VISIBLE_PREFIX_LENGTH = KEY_PREFIX.length + 8;

export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return KEY_PREFIX + base64url(bytes);
}

/** The part of a generated key that is safe to show and log, e.g. `fst_Ab3dE9xQ`. */
export function visiblePrefix(key: string): string {
  return key.slice(0, VISIBLE_PREFIX_LENGTH);
}

/**
 * A fast hash is right here: keys carry 192 random bits, so there is nothing for a slow
 * password hash to protect, and every request pays for the hash. node:crypto's one-shot
 * SHA-256 (Workers have it with `nodejs_compat`): synchronous, with no thread-pool round trip
 * as with Web Crypto, native, and without the Hash object `createHash` builds each time.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}
