import type { CampaignRow } from '../../db/schema';
import { campaignStatus } from '../campaigns/campaign-status';
import {
  type AnswerView,
  type HoldoutAssessment,
  holdoutAssessments,
  intervalKindOf,
  type MeasurementWindow,
  measurementWindow,
} from '../impact/campaign-assessment';
import type { CampaignMeasurement } from '../impact/campaign-measurements';
import { rate } from '../impact/companion-metrics';
import type { ExposureColumns } from '../impact/exposure-period';
import { exposureView } from '../impact/exposure-view';
import type { Interval } from '../impact/holdout-estimate';
import type { ObservationalEstimate } from '../impact/observational-estimate';
import { revivedMeasurement, type StoredMeasurementJson } from '../impact/stored-measurements';
import { mondayOf, weeksBetween } from '../reasons/weeks';
import { overlappingObservational } from './observational-overlap';
import { type ContactCounts, noContacts, type PeriodMetrics } from './period-metrics';
import type { Companion, PreventedContactsReport, ReportCampaign } from './report-schemas';
import { inNetTotal, inTargetTotal, netTreatedContacts } from './totals-coverage';

/** The columns of a campaign the report reads. */
export type ReportCampaignRow = Pick<
  CampaignRow,
  | 'id'
  | 'title'
  | 'channels'
  | 'startsAt'
  | 'endsAt'
  | 'publishedAt'
  | 'cancelledAt'
  | 'updatedAt'
  | 'targetReasons'
  | 'holdoutPercent'
  | 'eventId'
  | 'origin'
> &
  Pick<ExposureColumns, 'firstEmailAt'>;

/**
 * Everything the leaders' report is made of, as the request thread reads it from the
 * database: plain data, so a compute thread can assemble (and serialize) the report.
 */
export type ReportInput = {
  fromDay: string;
  toDay: string;
  zone: string;
  currency: string;
  perTicket: number;
  windowDays: number;
  now: Date;
  campaigns: ReportCampaignRow[];
  /** What the measure-campaigns job stored, as JSON text, for the campaigns it measured lately. */
  stored: Map<string, StoredMeasurementJson>;
  /** Measured for this answer: the campaigns without a usable stored measurement. */
  measured: Map<string, CampaignMeasurement>;
  /** Estimated for this answer: campaigns without a holdout and without a stored estimate. */
  observational: Map<string, ObservationalEstimate>;
  period: PeriodMetrics;
};

const companion = (counts: ContactCounts): Companion => ({
  ...counts,
  recontact_rate: rate(counts.recontacts, counts.contacts),
  resolution_rate: rate(counts.resolved, counts.contacts),
  csat: rate(counts.csat_satisfied, counts.csat_responses),
});
const cents = (interval: Interval, perTicket: number): Interval => ({
  estimate: Math.round(interval.estimate * perTicket),
  low: Math.round(interval.low * perTicket),
  high: Math.round(interval.high * perTicket),
});

/** The report's JSON, as UTF-8 (a compute task: moved, not copied, to the request thread). */
export const preventedContactsReportJson = (input: ReportInput): Uint8Array<ArrayBuffer> =>
  new TextEncoder().encode(JSON.stringify(assembleReport(input)));

/**
 * The leaders' report from what was read for it (see `preventedContactsReport`): the
 * campaigns' estimates, their sums, and the period's contacts by reason and by week. Pure
 * work that grows with the number of campaigns, so it runs on a compute thread.
 */
export function assembleReport(input: ReportInput): PreventedContactsReport {
  const { perTicket, now } = input;
  const measured = new Map(input.measured);
  for (const [id, entry] of input.stored) measured.set(id, revivedMeasurement(entry.measurement));
  const measuredAt = (id: string) => input.stored.get(id)?.measuredAt ?? now;
  const windows = new Map(
    input.campaigns.map((row) => [
      row.id,
      measurementWindow(row, measuredAt(row.id), input.windowDays),
    ]),
  );
  const assessments = holdoutAssessments(
    input.campaigns.flatMap((row) => {
      const measurement = measured.get(row.id);
      const window = windows.get(row.id);
      return measurement && window ? [{ id: row.id, measurement, window, perTicket }] : [];
    }),
  );

  const reported: ReportCampaign[] = [];
  const preventedByWeek = new Map<string, number>();
  const preventedByReason = new Map<string, number>();
  for (const row of input.campaigns) {
    const measurement = measured.get(row.id);
    const window = windows.get(row.id);
    const assessment = assessments.get(row.id);
    if (!measurement || !window || !assessment) continue;
    const entry = reportCampaign(row, assessment, window, {
      now,
      perTicket,
      measuredAt: measuredAt(row.id),
      observational: () => observationalOf(input, row.id),
    });
    reported.push(entry);
    if (entry.method === 'holdout' && entry.prevented) {
      addPointEstimates(measurement, preventedByWeek, preventedByReason);
    }
  }

  const { period } = input;
  const byHoldout = reported.filter(inNetTotal);
  const byTarget = reported.filter(inTargetTotal);
  const estimated = reported.filter((c) => c.method === 'observational' && c.prevented);
  const overlapping = overlappingObservational(estimated);
  const observed = estimated.filter((c) => !overlapping.has(c.id));
  const preventedOf = (c: ReportCampaign) => (c.prevented ? [c.prevented] : []);
  // No campaign in the net total is no estimate: a zero-width zero would read as none proved.
  const prevented = totalOf(byHoldout.flatMap(preventedOf));
  const treatedContacts = netTreatedContacts(reported);
  // Over the campaigns in `prevented`, as the deflection rate is: a campaign whose estimate
  // was refused is in neither.
  const pooledRate = (group: 'treated' | 'holdout', of: 'churn_rate' | 'downgrade_rate') =>
    rate(
      byHoldout.reduce((sum, c) => sum + (c[group][of] ?? 0) * c[group].accounts, 0),
      byHoldout.reduce((sum, c) => sum + c[group].accounts, 0),
    );
  const weeks = weeksBetween(mondayOf(input.fromDay), mondayOf(input.toDay));
  return {
    from: input.fromDay,
    to: input.toDay,
    time_zone: input.zone,
    cost_per_ticket_cents: perTicket,
    currency: input.currency,
    totals: {
      ...companion(period.total),
      cost_per_resolution_cents:
        period.total.resolved > 0
          ? Math.round((period.total.contacts * perTicket) / period.total.resolved)
          : null,
      prevented,
      prevented_so_far: byHoldout.filter((c) => c.measurement === 'so_far').length,
      // Over the campaigns with both a net and a target answer (those with a shifted one), so
      // the target contacts prevented less those shifted are those campaigns' net.
      target_prevented: totalOf(byTarget.flatMap((c) => c.target_prevented ?? [])),
      shifted: totalOf(byTarget.flatMap((c) => c.shifted ?? [])),
      prevented_observational: totalOf(observed.flatMap(preventedOf)),
      observational_overlapping: overlapping.size,
      savings_cents: prevented && cents(prevented, perTicket),
      deflection_rate: prevented && rate(prevented.estimate, treatedContacts + prevented.estimate),
      churn_rate: {
        treated: pooledRate('treated', 'churn_rate'),
        holdout: pooledRate('holdout', 'churn_rate'),
      },
      downgrade_rate: {
        treated: pooledRate('treated', 'downgrade_rate'),
        holdout: pooledRate('holdout', 'downgrade_rate'),
      },
      campaigns: reported.length,
      warnings: reported.reduce((sum, c) => sum + c.warnings.length, 0),
    },
    campaigns: reported,
    reasons: [...new Set([...period.byReason.keys(), ...preventedByReason.keys()])]
      .map((reason) => {
        const counts = period.byReason.get(reason);
        return {
          reason,
          label: counts?.label ?? reason,
          ...companion(counts ?? noContacts()),
          prevented: round1(preventedByReason.get(reason) ?? 0),
        };
      })
      .sort((a, b) => b.contacts - a.contacts || a.reason.localeCompare(b.reason)),
    weeks: weeks.map((week) => {
      const preventedThisWeek = round1(preventedByWeek.get(week) ?? 0);
      return {
        week,
        ...companion(period.byWeek.get(week) ?? noContacts()),
        prevented: preventedThisWeek,
        savings_cents: Math.round(preventedThisWeek * perTicket),
      };
    }),
  };
}

/** The observational estimate of a campaign without a holdout: stored, or made for this answer. */
function observationalOf(input: ReportInput, id: string): ObservationalEstimate {
  const stored = input.stored.get(id)?.observational;
  const estimate = stored
    ? (JSON.parse(stored) as ObservationalEstimate)
    : input.observational.get(id);
  if (!estimate) throw new Error(`No observational estimate was read for campaign ${id}`);
  return estimate;
}

const interval = (view: AnswerView) => (view.status === 'ok' ? view.prevented : null);

function reportCampaign(
  row: ReportCampaignRow,
  assessment: HoldoutAssessment,
  window: MeasurementWindow,
  at: {
    now: Date;
    perTicket: number;
    measuredAt: Date;
    observational: () => ObservationalEstimate;
  },
): ReportCampaign {
  const { now, perTicket } = at;
  const base = {
    id: row.id,
    title: row.title,
    channels: row.channels,
    status: campaignStatus(row, now),
    starts_at: row.startsAt?.toISOString() ?? null,
    ends_at: row.endsAt?.toISOString() ?? null,
    exposure: exposureView(row),
    window_ends_at: window.end.toISOString(),
    measured_at: at.measuredAt.toISOString(),
    target_reasons: row.targetReasons,
    measurement: window.measurement,
    interval_kind: intervalKindOf(row.holdoutPercent, assessment.interval_kind),
    treated: assessment.companion.treated,
    holdout: assessment.companion.holdout,
    holdout_reached: assessment.holdout_reached,
  };
  if (row.holdoutPercent === 0) {
    const estimate = at.observational();
    const none = {
      target_prevented: null,
      shifted: null,
      lift: null,
      p_value: null,
      deflection_rate: null,
      warnings: [],
    };
    if (estimate.status !== 'ok') {
      return {
        ...base,
        ...none,
        method: 'observational',
        prevented: null,
        reason: estimate.reason,
        needed: null,
        savings_cents: null,
      };
    }
    return {
      ...base,
      ...none,
      method: 'observational',
      prevented: estimate.prevented,
      // The observational estimate is of the target reasons: said where target ones are.
      target_prevented: estimate.prevented,
      reason: null,
      needed: null,
      savings_cents: cents(estimate.prevented, perTicket),
    };
  }
  const { net, target, shifted } = assessment;
  return {
    ...base,
    method: 'holdout',
    prevented: interval(net),
    reason: net.status === 'ok' ? null : net.reason,
    needed: net.status === 'ok' ? null : net.needed,
    p_value: net.status === 'ok' ? net.p_value : null,
    savings_cents: net.status === 'ok' ? net.savings_cents : null,
    target_prevented: interval(target),
    shifted: interval(shifted),
    lift: target.status === 'ok' ? target.lift : null,
    deflection_rate: assessment.deflection_rate,
    warnings: assessment.warnings,
  };
}

/**
 * Point estimates by week and by reason: (holdout rate − treated rate) × treated accounts,
 * unadjusted, over every reason, so they add up to the campaign's unadjusted net estimate; a
 * reason that received contacts shows them as negative.
 */
function addPointEstimates(
  measurement: CampaignMeasurement,
  byWeek: Map<string, number>,
  byReason: Map<string, number>,
) {
  const { treated, holdout } = measurement.groups;
  const prevented = (counts: { treated: number; holdout: number }) =>
    (counts.holdout / holdout.accounts - counts.treated / treated.accounts) * treated.accounts;
  for (const [week, counts] of measurement.weeks) {
    const every = { treated: counts.treated.every, holdout: counts.holdout.every };
    byWeek.set(week, (byWeek.get(week) ?? 0) + prevented(every));
  }
  for (const [reason, counts] of measurement.reasons) {
    byReason.set(reason, (byReason.get(reason) ?? 0) + prevented(counts));
  }
}

/**
 * Campaigns are measured on separate groups: their errors add in quadrature, each side on its
 * own, so a skew-corrected interval keeps its shape in the sum, and one campaign's total is its
 * own interval. A running campaign's side is its confidence sequence's, as its row shows it:
 * wider than a fixed-horizon one, so a total over running and ended campaigns is wide for this
 * reading rather than narrow (the report says how many of them are so far).
 */
function sumIntervals(intervals: Interval[]): Interval {
  const [only] = intervals;
  if (intervals.length === 1 && only) return only;
  const estimate = intervals.reduce((sum, i) => sum + i.estimate, 0);
  const side = (distance: (i: Interval) => number) =>
    Math.sqrt(intervals.reduce((sum, i) => sum + distance(i) ** 2, 0));
  return {
    estimate,
    low: estimate - side((i) => i.estimate - i.low),
    high: estimate + side((i) => i.high - i.estimate),
  };
}

/** The sum of the intervals, or null (no estimate) when there are none. */
const totalOf = (intervals: Interval[]) => (intervals.length > 0 ? sumIntervals(intervals) : null);

const round1 = (value: number) => Math.round(value * 10) / 10;
