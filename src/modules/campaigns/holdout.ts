import { murmur32 } from '../../lib/hash32';

/**
 * Where an account falls in a campaign's population, in [0, 100): MurmurHash3 (x86, 32-bit,
 * seed 0) of "campaign:account", as feature-flag tools bucket users. Pure and synchronous, so
 * every instance (Node or Workers) and every later analysis puts an account in the same
 * group, and cheap enough to run for every live campaign on every notices request. Account
 * ids are printable ASCII (the API enforces it), which the implementation requires.
 */
export function holdoutBucket(campaignId: string, accountId: string): number {
  return (murmur32(`${campaignId}:${accountId}`) / 2 ** 32) * 100;
}

export const isHeldOut = (campaignId: string, accountId: string, holdoutPercent: number) =>
  holdoutPercent > 0 && holdoutBucket(campaignId, accountId) < holdoutPercent;
