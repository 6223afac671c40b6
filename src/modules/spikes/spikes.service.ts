import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { findReasonSlugs } from '../reasons/resolve-reasons';
import { defaultLastWeek, ticketWeeks } from '../reasons/ticket-weeks';
import { checkWeekRange } from '../reasons/week-range';
import { mondayOf, weeksBack } from '../reasons/weeks';
import { type Attribution, round, severityOf } from './detect';
import type { SpikeReport, SpikeView } from './spike-schemas';

export const MAX_DETECTION_WEEKS = 1_100;

// The console (src/ui) imports these from here.
export type { SpikeReport, SpikeView };

type SpikeRow = {
  reason_slug: string;
  label: string | null;
  week: string;
  observed: number;
  expected: number;
  usual: number;
  probability: number;
  stage: 'short' | 'model';
  events: Attribution[];
  unexplained: number;
};

/**
 * The weeks `findSpikes` covers for `query`, checked (at most MAX_DETECTION_WEEKS, `from` not
 * after `to`), with how far stored verdicts reach and where the tickets are; without `to`, to
 * the last week verdicts and tickets cover.
 */
export async function spikeWeeks(deps: Deps, query: { from?: string; to?: string }) {
  const [state, data] = await Promise.all([verdictState(deps), ticketWeeks(deps)]);
  const to = query.to ? mondayOf(query.to) : defaultLastWeek(state.computedThrough, data, deps);
  const from = query.from ? mondayOf(query.from) : weeksBack(to, 12);
  checkWeekRange(from, to, MAX_DETECTION_WEEKS);
  return { from, to, state, data };
}

export type SpikeWeeks = Awaited<ReturnType<typeof spikeWeeks>>;

/**
 * Stored spikes in [from, to], read, never refitted: the verdict of a week is fixed. Over
 * `weeks` when the caller checked them already (`spikeWeeks`).
 */
export async function findSpikes(
  deps: Deps,
  query: { from?: string; to?: string; reason?: string },
  weeks?: SpikeWeeks,
): Promise<SpikeReport> {
  const zone = deps.config.workspaceTimeZone;
  const { from, to, state, data } = weeks ?? (await spikeWeeks(deps, query));
  // A slug, a label or an alias, as events and campaigns take them.
  const [reason] = query.reason ? await findReasonSlugs(deps.db, [query.reason]) : [];
  const reasonFilter = reason ? sql`and s.reason_slug = ${reason}` : sql``;
  const rows = rowsOf<SpikeRow>(
    await deps.db.execute(sql`
      select s.reason_slug, r.label, s.week::text as week, s.observed, s.expected, s.usual,
             s.probability, s.stage, s.events, s.unexplained
      from spike_weeks s left join reasons r on r.slug = s.reason_slug
      where s.week between ${from}::date and ${to}::date ${reasonFilter}
      order by s.week, s.observed - s.expected desc`),
  );
  const anomalyFilter = reason ? sql`and reason_slug = ${reason}` : sql``;
  const anomalies = rowsOf<{ day: string; week: string; reason_slug: string; contacts: number }>(
    await deps.db.execute(sql`
      select day::text as day, week::text as week, reason_slug, contacts from data_anomalies
      where week between ${from}::date and ${to}::date ${anomalyFilter}
      order by day, reason_slug`),
  );
  const statusWeek =
    state.computedThrough && state.computedThrough < to ? state.computedThrough : to;
  const statuses = rowsOf<{
    reason_slug: string;
    label: string | null;
    status: string;
    history: number;
    not_rising: boolean;
  }>(
    await deps.db.execute(sql`
      select v.reason_slug, r.label, substr(v.status, i + 1, 1) as status,
        v.history[i + 1] as history,
        (select count(*) filter (where k > i + 1 - 52) <= count(*) filter (where k <= i + 1 - 52)
         from generate_subscripts(v.observed, 1) as k
         where k > i + 1 - 104 and k <= i + 1 and v.observed[k] > 0) as not_rising
      from reason_verdicts v left join reasons r on r.slug = v.reason_slug,
        lateral (select ((${statusWeek}::date - v.first_week) / 7) as i) as at
      where i >= 0 and i < cardinality(v.observed)`),
  );
  const byDay = new Map<string, SpikeReport['data_anomalies'][number]>();
  for (const a of anomalies) {
    const entry = byDay.get(a.day) ?? { day: a.day, week: a.week, reasons: [] };
    entry.reasons.push({ reason: a.reason_slug, contacts: a.contacts });
    byDay.set(a.day, entry);
  }
  return {
    from,
    to,
    time_zone: zone,
    alpha: deps.config.spikeAlpha,
    computed_through: state.computedThrough,
    data,
    pending: state.pending,
    reasons_tested: statuses.filter((s) => s.status === 't').length,
    insufficient_history: statuses
      .filter((s) => s.status === 'n' && (!reason || s.reason_slug === reason))
      .map((s) => ({
        reason: s.reason_slug,
        label: s.label ?? s.reason_slug,
        history_weeks: Number(s.history),
        needed_weeks: 8,
        went_quiet: Boolean(s.not_rising),
      }))
      .sort((a, b) => a.reason.localeCompare(b.reason)),
    data_anomalies: [...byDay.values()],
    spikes: rows.map(toSpikeView),
  };
}

export function toSpikeView(row: SpikeRow): SpikeView {
  return {
    week: row.week,
    reason: row.reason_slug,
    label: row.label ?? row.reason_slug,
    observed: row.observed,
    expected: round(row.expected),
    usual: round(row.usual),
    excess: round(row.observed - row.expected),
    probability: row.probability,
    severity: severityOf(row.observed, row.usual, row.probability),
    method: row.stage === 'short' ? 'ears_c2' : 'count_model',
    events: row.events.map((a) => ({
      event_id: a.eventId,
      title: a.title,
      kind: a.kind,
      share: a.share,
      contacts: a.contacts,
      attribution: a.method,
    })),
    unexplained: row.unexplained,
  };
}

/** How far stored verdicts reach, and whether changes wait for the refresh. */
export async function verdictState(
  deps: Deps,
): Promise<{ computedThrough: string | null; pending: boolean }> {
  const [row] = rowsOf<{ through: string | null; pending: boolean }>(
    await deps.db.execute(sql`
      select (select max(first_week + 7 * (cardinality(observed) - 1))::text
              from reason_verdicts) as through,
             exists (select 1 from detection_changes) as pending`),
  );
  return { computedThrough: row?.through ?? null, pending: Boolean(row?.pending) };
}

export type { SpikeRow };
