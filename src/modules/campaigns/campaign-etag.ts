import { AppError } from '../../http/app-error';
import { type IfMatch, versionEtag } from '../../http/etag';
import { requireIfMatch } from '../../http/if-match';
import type { CampaignStatus } from './campaign-input';

/**
 * A campaign's strong ETag: its version and the status it has now (`"4-active"`). The clock
 * moves a status without a write (scheduled to active, active to ended), so the version alone
 * would name two different answers; with the status, a 304 is always right.
 */
export const campaignEtag = (campaign: { version: number; status: CampaignStatus }): string =>
  `"${campaign.version}-${campaign.status}"`;

/** The statuses the clock alone moves a campaign out of, by the status it moves it to. */
const CLOCK_MOVES_TO: Partial<Record<CampaignStatus, CampaignStatus[]>> = {
  active: ['scheduled'],
  ended: ['scheduled', 'active'],
};

/**
 * What a change expects to find: `If-Match` (ETags, so the version and the status read), or
 * the version a console page was shown at. The console judges a move on the status it finds
 * and says why one is refused, so only a change someone made since is its 412.
 */
export type CampaignPrecondition = IfMatch | { shownVersion: number };

/**
 * Refuses, with 412, a change whose precondition no longer holds for the locked campaign at
 * `version`, `status` now. A tag of this version the clock has moved on since it was sent is
 * said to be that, and so is a bare version (`"4"`), the ETag campaigns had before.
 */
export function requireCampaignPrecondition(
  expected: CampaignPrecondition | undefined,
  current: { id: string; version: number; status: CampaignStatus },
): void {
  const what = `Campaign ${current.id}`;
  if (expected === undefined || expected === '*') return;
  if ('shownVersion' in expected) {
    requireIfMatch([versionEtag(expected.shownVersion)], versionEtag(current.version), what);
    return;
  }
  const etag = campaignEtag(current);
  if (expected.includes(etag)) return;
  const sameVersion = `"${current.version}-`;
  const before = (CLOCK_MOVES_TO[current.status] ?? []).find((status) =>
    expected.includes(`${sameVersion}${status}"`),
  );
  if (before !== undefined) {
    throw new AppError(
      'precondition_failed',
      `${what} is at the version If-Match names, but the clock has moved it from ${before} ` +
        `to ${current.status} since (its ETag is now ${etag}); nothing was saved. Read it ` +
        'again and decide on the change from what it holds.',
    );
  }
  if (expected.includes(versionEtag(current.version))) {
    throw new AppError(
      'precondition_failed',
      `If-Match names ${versionEtag(current.version)}, a bare version; a campaign's ETag is ` +
        `its version and status, now ${etag}; nothing was saved. Send the ETag of its last ` +
        'GET or write.',
    );
  }
  requireIfMatch(expected, etag, what);
}
