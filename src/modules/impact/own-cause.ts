/**
 * Why a campaign published for an incident or a maintenance (its banner) has no observational
 * estimate, or null for any other campaign. Its window holds the contacts the incident or the
 * maintenance itself brings, the reason the banner exists, which the weeks before do not
 * predict: predicted − observed would measure the incident, not the banner (or read the
 * surge's decay as prevented when it began before the banner). Only a holdout tells the two
 * apart, and these banners hold no one out.
 */
export function ownCauseRefusal(origin: string): string | null {
  if (origin === 'incident') {
    return (
      'an incident’s banner answers the contacts the incident itself brings: without a ' +
      'holdout, its effect cannot be told from the incident’s'
    );
  }
  if (origin === 'maintenance') {
    return (
      'a maintenance’s banner answers the contacts the maintenance itself brings: without a ' +
      'holdout, its effect cannot be told from the maintenance’s'
    );
  }
  return null;
}
