import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { and, asc, lt } from 'drizzle-orm';
import { type CampaignRow, campaigns } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import { campaignStatus, publishedCampaign, runsPast } from '../campaigns/campaign-status';
import {
  type AnswerView,
  type HoldoutAssessment,
  measurementWindow,
} from '../impact/campaign-assessment';
import {
  type CampaignMeasurement,
  catchUpForMeasurement,
  measureCampaigns,
} from '../impact/campaign-measurements';
import { rate } from '../impact/companion-metrics';
import type { Interval } from '../impact/holdout-estimate';
import type { ObservationalEstimate } from '../impact/observational-estimate';
import { observationalImpact } from '../impact/observational-impact';
import { usableMeasurements } from '../impact/stored-measurements';
import { addWeeks, mondayOf, weeksBetween } from '../reasons/weeks';
import { type ContactCounts, noContacts, periodMetrics } from './period-metrics';
import type { Companion, PreventedContactsReport, ReportCampaign } from './report-schemas';

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_REPORT_DAYS = 3 * 366;
export const MAX_REPORT_CAMPAIGNS = 500;

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

/**
 * The leaders' report for a period: every campaign whose measurement window touches it, with
 * net prevented contacts (every reason) and their interval, the target-reason effect and the
 * contacts shifted to other reasons, savings and the companion metrics of treated and held-out
 * accounts; per reason and per week, the period's contacts with the same metrics and the
 * prevented contacts measured against holdouts (negative for reasons that received contacts);
 * and totals. Period counts are for tickets created in [from, to]; campaign estimates cover
 * each campaign's whole measurement window, which may reach outside the period.
 */
export async function preventedContactsReport(
  deps: Deps,
  query: { from?: string; to?: string },
): Promise<PreventedContactsReport> {
  const zone = deps.config.workspaceTimeZone;
  const now = deps.clock.now();
  const toDay = query.to ?? formatInTimeZone(now, zone, 'yyyy-MM-dd');
  const fromDay = query.from ?? addWeeks(mondayOf(toDay), -12);
  const from = fromZonedTime(`${fromDay}T00:00:00`, zone);
  const to = new Date(fromZonedTime(`${toDay}T00:00:00`, zone).getTime() + DAY_MS);
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS);
  if (from >= to) {
    throw new AppError('validation_failed', `The period ends (${toDay}) before it starts.`, [
      { location: 'query', path: 'from', message: `from must be on or before to (${toDay})` },
    ]);
  }
  if (days > MAX_REPORT_DAYS) {
    throw new AppError(
      'validation_failed',
      `The period spans ${days} days; a report covers at most ${MAX_REPORT_DAYS}.`,
      [{ location: 'query', path: 'from', message: `at most ${MAX_REPORT_DAYS} days before to` }],
    );
  }
  const windowDays = deps.config.impactWindowDays;
  const rows = await deps.db
    .select()
    .from(campaigns)
    .where(
      and(
        publishedCampaign,
        lt(campaigns.startsAt, to),
        runsPast(new Date(from.getTime() - windowDays * DAY_MS)),
      ),
    )
    .orderBy(asc(campaigns.startsAt), asc(campaigns.id))
    .limit(MAX_REPORT_CAMPAIGNS);
  // What the measure-campaigns job stored is read; only campaigns it has not measured
  // lately are measured here.
  const stored = await usableMeasurements(deps, rows, now);
  const live = rows.filter((row) => !stored.has(row.id));
  const windows = new Map(
    rows.map((row) => [
      row.id,
      measurementWindow(row, stored.get(row.id)?.measuredAt ?? now, windowDays),
    ]),
  );
  if (live.length > 0) await catchUpForMeasurement(deps);
  const [measured, period] = await Promise.all([
    measureCampaigns(
      deps.db,
      live.map((row) => ({
        id: row.id,
        targetReasons: row.targetReasons,
        windowEnd: windows.get(row.id)?.end ?? now,
      })),
      zone,
    ),
    periodMetrics(deps.db, { from, to }, zone),
  ]);
  for (const [id, entry] of stored) measured.set(id, entry.measurement);

  const perTicket = deps.config.costPerTicketCents;
  const reported: ReportCampaign[] = [];
  const preventedByWeek = new Map<string, number>();
  const preventedByReason = new Map<string, number>();
  // Estimating each campaign (confidence sequences, adjustments) grows with their number.
  const assessments = await deps.compute(
    'holdoutAssessments',
    rows.flatMap((row) => {
      const measurement = measured.get(row.id);
      const window = windows.get(row.id);
      return measurement && window
        ? [{ id: row.id, measurement, window, perTicket: deps.config.costPerTicketCents }]
        : [];
    }),
  );
  for (const row of rows) {
    const measurement = measured.get(row.id);
    const window = windows.get(row.id);
    const assessment = assessments.get(row.id);
    if (!measurement || !window || !assessment) continue;
    const entry = await reportCampaign(deps, row, assessment, window, {
      now,
      measuredAt: stored.get(row.id)?.measuredAt ?? now,
      observational: stored.get(row.id)?.observational,
    });
    reported.push(entry);
    if (entry.method === 'holdout' && entry.prevented) {
      addPointEstimates(measurement, preventedByWeek, preventedByReason);
    }
  }

  const byHoldout = reported.filter((c) => c.method === 'holdout' && c.prevented);
  const observed = reported.filter((c) => c.method === 'observational' && c.prevented);
  const preventedOf = (c: ReportCampaign) => (c.prevented ? [c.prevented] : []);
  const prevented = sumIntervals(byHoldout.flatMap(preventedOf));
  const treatedContacts = byHoldout.reduce((sum, c) => sum + c.treated.contacts, 0);
  const withHoldout = reported.filter((c) => c.method === 'holdout');
  const pooledRate = (group: 'treated' | 'holdout', of: 'churn_rate' | 'downgrade_rate') =>
    rate(
      withHoldout.reduce((sum, c) => sum + (c[group][of] ?? 0) * c[group].accounts, 0),
      withHoldout.reduce((sum, c) => sum + c[group].accounts, 0),
    );
  const weeks = weeksBetween(mondayOf(fromDay), mondayOf(toDay));
  return {
    from: fromDay,
    to: toDay,
    time_zone: zone,
    cost_per_ticket_cents: perTicket,
    currency: deps.config.currency,
    totals: {
      ...companion(period.total),
      cost_per_resolution_cents:
        period.total.resolved > 0
          ? Math.round((period.total.contacts * perTicket) / period.total.resolved)
          : null,
      prevented,
      target_prevented: sumIntervals(
        reported.flatMap((c) =>
          c.method === 'holdout' && c.target_prevented ? [c.target_prevented] : [],
        ),
      ),
      shifted: sumIntervals(reported.flatMap((c) => (c.shifted ? [c.shifted] : []))),
      prevented_observational:
        observed.length > 0 ? sumIntervals(observed.flatMap(preventedOf)) : null,
      savings_cents: cents(prevented, perTicket),
      deflection_rate: rate(prevented.estimate, treatedContacts + prevented.estimate),
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

const interval = (view: AnswerView) => (view.status === 'ok' ? view.prevented : null);

async function reportCampaign(
  deps: Deps,
  row: CampaignRow,
  assessment: HoldoutAssessment,
  window: ReturnType<typeof measurementWindow>,
  at: { now: Date; measuredAt: Date; observational?: ObservationalEstimate | null },
): Promise<ReportCampaign> {
  const { now } = at;
  const perTicket = deps.config.costPerTicketCents;
  const base = {
    id: row.id,
    title: row.title,
    channels: row.channels,
    status: campaignStatus(row, now),
    starts_at: row.startsAt?.toISOString() ?? null,
    ends_at: row.endsAt?.toISOString() ?? null,
    window_ends_at: window.end.toISOString(),
    measured_at: at.measuredAt.toISOString(),
    target_reasons: row.targetReasons,
    measurement: window.measurement,
    interval_kind: assessment.interval_kind,
    treated: assessment.companion.treated,
    holdout: assessment.companion.holdout,
  };
  if (row.holdoutPercent === 0) {
    const estimate = at.observational ?? (await observationalImpact(deps, row, window.end));
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

/** Campaigns are measured on separate groups: their errors add in quadrature. */
function sumIntervals(intervals: Interval[]): Interval {
  const estimate = intervals.reduce((sum, i) => sum + i.estimate, 0);
  const halfWidth = Math.sqrt(intervals.reduce((sum, i) => sum + ((i.high - i.low) / 2) ** 2, 0));
  return { estimate, low: estimate - halfWidth, high: estimate + halfWidth };
}

const round1 = (value: number) => Math.round(value * 10) / 10;
