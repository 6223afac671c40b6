import { sha256 } from '@noble/hashes/sha2.js';

const encoder = new TextEncoder();

/**
 * Where an account falls in a campaign's population, in [0, 100): the first 32 bits of
 * SHA-256("campaign:account"). Pure and synchronous, so every instance (Node or Workers)
 * and every later analysis puts an account in the same group.
 */
export function holdoutBucket(campaignId: string, accountId: string): number {
  const digest = sha256(encoder.encode(`${campaignId}:${accountId}`));
  const word =
    ((digest[0] ?? 0) << 24) |
    ((digest[1] ?? 0) << 16) |
    ((digest[2] ?? 0) << 8) |
    (digest[3] ?? 0);
  return ((word >>> 0) / 2 ** 32) * 100;
}

export const isHeldOut = (campaignId: string, accountId: string, holdoutPercent: number) =>
  holdoutPercent > 0 && holdoutBucket(campaignId, accountId) < holdoutPercent;
