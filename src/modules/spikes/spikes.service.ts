import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import { addWeeks, currentWeek, mondayOf, weekCount } from '../reasons/weeks';
import { DEFAULT_DETECT_OPTIONS, detectSpikes } from './detect';
import { loadDetectionInput, windowsInWeek } from './detection-input';

export const MAX_DETECTION_WEEKS = 1_100;

export type SpikeView = {
  week: string;
  reason: string;
  label: string;
  observed: number;
  expected: number;
  excess: number;
  probability: number;
  severity: 'low' | 'medium' | 'high';
  method: 'ears_c2' | 'count_model';
  events: {
    event_id: string;
    title: string;
    kind: string;
    occurrences: { starts_at: string; ends_at: string }[];
    share: number;
    contacts: number;
    attribution: 'model' | 'overlap';
  }[];
  unexplained: number;
};

export type SpikeReport = {
  from: string;
  to: string;
  time_zone: string;
  alpha: number;
  reasons_tested: number;
  insufficient_history: { reason: string; history_weeks: number; needed_weeks: number }[];
  spikes: SpikeView[];
};

/**
 * Runs detection over [from, to] for every reason (the multiple-testing correction counts
 * all of them), then keeps the asked-for reason. Reads only the weekly rollup and events.
 */
export async function findSpikes(
  deps: Deps,
  query: { from?: string; to?: string; reason?: string },
): Promise<SpikeReport> {
  const zone = deps.config.workspaceTimeZone;
  const to = query.to ? mondayOf(query.to) : addWeeks(currentWeek(deps.clock.now(), zone), -1);
  const from = query.from ? mondayOf(query.from) : addWeeks(to, -12);
  if (from > to || weekCount(from, to) > MAX_DETECTION_WEEKS) {
    throw new AppError(
      'validation_failed',
      `Ask for 1 to ${MAX_DETECTION_WEEKS} weeks, from before to.`,
      [{ location: 'query', path: 'from', message: 'must be before to and within range' }],
    );
  }
  const input = await loadDetectionInput(deps, from, to);
  const { weeks, index, labels } = input;
  if (query.reason && !labels.has(query.reason)) {
    const known = await deps.db.execute(sql`select 1 from reasons where slug = ${query.reason}`);
    if (rowsOf(known).length === 0)
      throw new AppError('not_found', `Reason ${query.reason} was not found.`);
  }

  const range = { from: index.get(from) ?? 0, to: index.get(to) ?? weeks.length - 1 };
  const options = { ...DEFAULT_DETECT_OPTIONS, alpha: deps.config.spikeAlpha };
  const verdicts = detectSpikes(input.series, input.terms, range, options);
  const wanted = (reason: string) => !query.reason || reason === query.reason;

  return {
    from,
    to,
    time_zone: zone,
    alpha: options.alpha,
    reasons_tested: verdicts.filter((v) => v.status === 'ok').length,
    insufficient_history: verdicts
      .filter((v) => v.status === 'insufficient_history' && wanted(v.reason))
      .map((v) => ({ reason: v.reason, history_weeks: v.historyWeeks, needed_weeks: 8 })),
    spikes: verdicts
      .filter((v) => wanted(v.reason))
      .flatMap((v) => v.spikes)
      .map((spike) => ({
        week: weeks[spike.week] ?? '',
        reason: spike.reason,
        label: labels.get(spike.reason) ?? spike.reason,
        observed: spike.observed,
        expected: spike.expected,
        excess: spike.excess,
        probability: spike.probability,
        severity: spike.severity,
        method: spike.stage === 'short' ? ('ears_c2' as const) : ('count_model' as const),
        events: spike.attributions.map((a) => ({
          event_id: a.eventId,
          title: a.title,
          kind: a.kind,
          occurrences: windowsInWeek(input, a.eventId, input.starts[spike.week] ?? 0),
          share: a.share,
          contacts: a.contacts,
          attribution: a.method,
        })),
        unexplained: spike.unexplained,
      }))
      .sort((a, b) => a.week.localeCompare(b.week) || b.excess - a.excess),
  };
}
