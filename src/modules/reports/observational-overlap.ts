import type { ReportCampaign } from './report-schemas';

type Answered = Pick<ReportCampaign, 'id' | 'exposure' | 'window_ends_at' | 'target_reasons'>;

/** The weeks its estimate counts: from where its measurement starts to its window's end. */
const span = (c: Answered) => ({
  from: Date.parse(c.exposure.measured_from ?? c.window_ends_at),
  to: Date.parse(c.window_ends_at),
});

/** No target reasons means every reason. */
const reasonsOverlap = (a: Answered, b: Answered) =>
  a.target_reasons.length === 0 ||
  b.target_reasons.length === 0 ||
  a.target_reasons.some((reason) => b.target_reasons.includes(reason));

/**
 * The observational estimates whose windows and target reasons overlap another's. Each is all
 * the target reasons' contacts in its window against what the weeks before predicted, so two
 * such campaigns (two banners on the same reason a few days apart) claim the same
 * contacts; they are kept out of the observational total rather than counted twice. Holdout
 * campaigns are not: each measures its own treated accounts against its own held-out ones.
 */
export function overlappingObservational(campaigns: readonly Answered[]): Set<string> {
  const overlapping = new Set<string>();
  for (const [i, a] of campaigns.entries()) {
    for (const b of campaigns.slice(i + 1)) {
      const [x, y] = [span(a), span(b)];
      if (x.from < y.to && y.from < x.to && reasonsOverlap(a, b)) {
        overlapping.add(a.id);
        overlapping.add(b.id);
      }
    }
  }
  return overlapping;
}
