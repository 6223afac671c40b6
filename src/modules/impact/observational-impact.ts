import type { CampaignRow } from '../../db/schema';
import type { Deps } from '../../deps';
import { addWeeks, currentWeek } from '../reasons/weeks';
import { loadDetectionInput } from '../spikes/detection-input';
import { estimateObservational, type ObservationalEstimate } from './observational-estimate';

/**
 * The observational estimate for a campaign without a holdout: the weekly contacts of its
 * target reasons (all reasons when it names none) before it started, with the linked event's
 * windows as the model term, against the weeks of its measurement window.
 */
export async function observationalImpact(
  deps: Deps,
  campaign: CampaignRow,
  windowEnd: Date,
): Promise<ObservationalEstimate> {
  if (!campaign.startsAt) {
    return { status: 'insufficient_data', reason: 'the campaign has not been published' };
  }
  if (!campaign.eventId) {
    return {
      status: 'insufficient_data',
      reason: 'link the campaign to its event: the counterfactual is the spike that event brings',
    };
  }
  const zone = deps.config.workspaceTimeZone;
  const firstWeek = currentWeek(campaign.startsAt, zone);
  // Whole weeks only: the week still under way would look like prevented contacts.
  const thisWeek = currentWeek(deps.clock.now(), zone);
  const windowWeek = currentWeek(windowEnd, zone);
  const lastWeek = windowWeek === thisWeek ? addWeeks(thisWeek, -1) : windowWeek;
  if (lastWeek < firstWeek) {
    return { status: 'insufficient_data', reason: 'no whole week of the window has passed yet' };
  }
  const input = await loadDetectionInput(deps, firstWeek, lastWeek);
  const start = input.index.get(firstWeek) ?? input.weeks.length;
  const targets = new Set(campaign.targetReasons);
  const counts = input.weeks.map(() => 0);
  for (const { reason, counts: series } of input.series) {
    if (targets.size > 0 && !targets.has(reason)) continue;
    series.forEach((count, week) => {
      counts[week] = (counts[week] ?? 0) + count;
    });
  }
  const overlap = input.terms.find((term) => term.eventId === campaign.eventId)?.overlap ?? [];
  const firstContact = Math.max(
    0,
    counts.findIndex((count) => count > 0),
  );
  return estimateObservational({
    history: counts.slice(firstContact, start),
    historyEventOverlap: input.weeks
      .slice(firstContact, start)
      .map((_, i) => overlap[firstContact + i] ?? 0),
    window: {
      observed: counts.slice(start),
      eventOverlap: input.weeks.slice(start).map((_, i) => overlap[start + i] ?? 0),
    },
  });
}
