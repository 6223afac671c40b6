import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { and, asc, lt } from 'drizzle-orm';
import { type CampaignRow, campaigns } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import { campaignStatus, publishedCampaign, runsPast } from '../campaigns/campaign-status';
import {
  type CampaignMeasurement,
  catchUpForMeasurement,
  groupCompanion,
  measureCampaigns,
  rate,
} from '../impact/campaign-measurements';
import { estimateWithHoldout, type Interval } from '../impact/holdout-estimate';
import { observationalImpact } from '../impact/observational-impact';
import { addWeeks, mondayOf, weeksBetween } from '../reasons/weeks';
import { type ContactCounts, periodMetrics } from './period-metrics';

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_REPORT_DAYS = 3 * 366;
export const MAX_REPORT_CAMPAIGNS = 500;

type GroupView = ReturnType<typeof groupCompanion> & {
  accounts: number;
  target_contacts: number;
};

export type ReportCampaign = {
  id: string;
  title: string;
  channels: string[];
  status: string;
  starts_at: string | null;
  ends_at: string | null;
  window_ends_at: string;
  target_reasons: string[];
  method: 'holdout' | 'observational';
  measurement: 'final' | 'so_far';
  prevented: Interval | null;
  /** Why there is no estimate, when there is none. */
  reason: string | null;
  lift: Interval | null;
  p_value: number | null;
  savings_cents: Interval | null;
  deflection_rate: number | null;
  treated: GroupView;
  holdout: GroupView;
};

type Companion = ContactCounts & {
  recontact_rate: number | null;
  resolution_rate: number | null;
};

export type PreventedContactsReport = {
  from: string;
  to: string;
  time_zone: string;
  cost_per_ticket_cents: number;
  totals: Companion & {
    cost_per_resolution_cents: number | null;
    prevented: Interval;
    prevented_observational: Interval | null;
    savings_cents: Interval;
    deflection_rate: number | null;
    campaigns: number;
  };
  campaigns: ReportCampaign[];
  reasons: (Companion & { reason: string; label: string; prevented: number })[];
  weeks: (Companion & { week: string; prevented: number; savings_cents: number })[];
};

const companion = (counts: ContactCounts): Companion => ({
  ...counts,
  recontact_rate: rate(counts.recontacts, counts.contacts),
  resolution_rate: rate(counts.resolved, counts.contacts),
});
const cents = (interval: Interval, perTicket: number): Interval => ({
  estimate: Math.round(interval.estimate * perTicket),
  low: Math.round(interval.low * perTicket),
  high: Math.round(interval.high * perTicket),
});

/**
 * The leaders' report for a period: every campaign whose measurement window touches it, with
 * prevented contacts and their interval, savings and the companion metrics (re-contacts and
 * resolutions, treated against holdout); per reason and per week, the period's contacts with
 * the same metrics and the prevented contacts measured against holdouts; and totals.
 * Period counts are for tickets created in [from, to]; campaign estimates cover each
 * campaign's whole measurement window, which may reach outside the period.
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
  if (from >= to || (to.getTime() - from.getTime()) / DAY_MS > MAX_REPORT_DAYS) {
    throw new AppError('validation_failed', 'The period is empty or too long.', [
      {
        location: 'query',
        path: 'from',
        message: `from must be on or before to, at most ${MAX_REPORT_DAYS} days apart`,
      },
    ]);
  }
  await catchUpForMeasurement(deps);
  const windowMs = deps.config.impactWindowDays * DAY_MS;
  const rows = await deps.db
    .select()
    .from(campaigns)
    .where(
      and(
        publishedCampaign,
        lt(campaigns.startsAt, to),
        runsPast(new Date(from.getTime() - windowMs)),
      ),
    )
    .orderBy(asc(campaigns.startsAt), asc(campaigns.id))
    .limit(MAX_REPORT_CAMPAIGNS);
  const windowEnd = (row: CampaignRow) =>
    new Date(Math.min(now.getTime(), (row.endsAt ?? now).getTime() + windowMs));
  const [measured, period] = await Promise.all([
    measureCampaigns(
      deps.db,
      rows.map((row) => ({
        id: row.id,
        targetReasons: row.targetReasons,
        windowEnd: windowEnd(row),
      })),
      zone,
    ),
    periodMetrics(deps.db, { from, to }, zone),
  ]);

  const perTicket = deps.config.costPerTicketCents;
  const reported: ReportCampaign[] = [];
  const preventedByWeek = new Map<string, number>();
  const preventedByReason = new Map<string, number>();
  for (const row of rows) {
    const measurement = measured.get(row.id);
    if (!measurement) continue;
    const entry = await reportCampaign(deps, row, measurement, windowEnd(row), now);
    reported.push(entry);
    if (entry.method === 'holdout' && entry.prevented) {
      addPointEstimates(measurement, row.targetReasons, preventedByWeek, preventedByReason);
    }
  }

  const measuredByHoldout = reported.filter((c) => c.method === 'holdout' && c.prevented);
  const observed = reported.filter((c) => c.method === 'observational' && c.prevented);
  const prevented = sumIntervals(measuredByHoldout.map((c) => c.prevented as Interval));
  const weeks = weeksBetween(mondayOf(fromDay), mondayOf(toDay));
  const none = { contacts: 0, recontacts: 0, resolved: 0 };
  return {
    from: fromDay,
    to: toDay,
    time_zone: zone,
    cost_per_ticket_cents: perTicket,
    totals: {
      ...companion(period.total),
      cost_per_resolution_cents:
        period.total.resolved > 0
          ? Math.round((period.total.contacts * perTicket) / period.total.resolved)
          : null,
      prevented,
      prevented_observational:
        observed.length > 0 ? sumIntervals(observed.map((c) => c.prevented as Interval)) : null,
      savings_cents: cents(prevented, perTicket),
      deflection_rate: rate(prevented.estimate, period.total.contacts + prevented.estimate),
      campaigns: reported.length,
    },
    campaigns: reported,
    reasons: [...period.byReason]
      .map(([reason, counts]) => ({
        reason,
        label: counts.label,
        ...companion(counts),
        prevented: round1(preventedByReason.get(reason) ?? 0),
      }))
      .sort((a, b) => b.contacts - a.contacts || a.reason.localeCompare(b.reason)),
    weeks: weeks.map((week) => {
      const preventedThisWeek = round1(preventedByWeek.get(week) ?? 0);
      return {
        week,
        ...companion(period.byWeek.get(week) ?? none),
        prevented: preventedThisWeek,
        savings_cents: Math.round(preventedThisWeek * perTicket),
      };
    }),
  };
}

async function reportCampaign(
  deps: Deps,
  row: CampaignRow,
  measurement: CampaignMeasurement,
  windowEnd: Date,
  now: Date,
): Promise<ReportCampaign> {
  const status = campaignStatus(row, now);
  const { treated, holdout } = measurement.groups;
  const groupView = (group: typeof treated): GroupView => ({
    accounts: group.accounts,
    target_contacts: group.target.contacts,
    ...groupCompanion(group, deps.config.costPerTicketCents),
  });
  const base = {
    id: row.id,
    title: row.title,
    channels: row.channels,
    status,
    starts_at: row.startsAt?.toISOString() ?? null,
    ends_at: row.endsAt?.toISOString() ?? null,
    window_ends_at: windowEnd.toISOString(),
    target_reasons: row.targetReasons,
    measurement: (status === 'ended' && windowEnd < now ? 'final' : 'so_far') as 'final' | 'so_far',
    treated: groupView(treated),
    holdout: groupView(holdout),
  };
  const perTicket = deps.config.costPerTicketCents;
  if (row.holdoutPercent === 0) {
    const estimate = await observationalImpact(deps, row, windowEnd);
    if (estimate.status !== 'ok')
      return { ...base, ...noEstimate('observational', estimate.reason) };
    return {
      ...base,
      method: 'observational',
      prevented: estimate.prevented,
      reason: null,
      lift: null,
      p_value: null,
      savings_cents: cents(estimate.prevented, perTicket),
      deflection_rate: null,
    };
  }
  const estimate = estimateWithHoldout(treated.target, holdout.target);
  if (estimate.status !== 'ok') return { ...base, ...noEstimate('holdout', estimate.reason) };
  return {
    ...base,
    method: 'holdout',
    prevented: estimate.prevented,
    reason: null,
    lift: estimate.lift,
    p_value: estimate.pValue,
    savings_cents: cents(estimate.prevented, perTicket),
    deflection_rate: rate(
      estimate.prevented.estimate,
      treated.target.contacts + estimate.prevented.estimate,
    ),
  };
}

const noEstimate = (method: 'holdout' | 'observational', reason: string) => ({
  method,
  prevented: null,
  reason,
  lift: null,
  p_value: null,
  savings_cents: null,
  deflection_rate: null,
});

/**
 * Point estimates by week and by reason: (holdout rate − treated rate) × treated accounts, so
 * they add up to the campaign's own estimate (target reasons) over its window.
 */
function addPointEstimates(
  measurement: CampaignMeasurement,
  targetReasons: string[],
  byWeek: Map<string, number>,
  byReason: Map<string, number>,
) {
  const { treated, holdout } = measurement.groups;
  const prevented = (counts: { treated: number; holdout: number }) =>
    (counts.holdout / holdout.accounts - counts.treated / treated.accounts) * treated.accounts;
  for (const [week, counts] of measurement.weeks) {
    byWeek.set(week, (byWeek.get(week) ?? 0) + prevented(counts));
  }
  const targets = new Set(targetReasons);
  for (const [reason, counts] of measurement.reasons) {
    if (targets.size > 0 && !targets.has(reason)) continue;
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
