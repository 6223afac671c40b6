import { sql } from 'drizzle-orm';
import { databaseErrorSummary } from '../../db/database-errors';
import { rowsOf } from '../../db/json-param';
import { withinStatementTimeout } from '../../db/statement-timeout';
import type { Deps } from '../../deps';
import type { Audience } from './audience';
import { audienceCondition } from './audience-sql';
import { PRE_PERIOD_DAYS } from './pre-period';
import { isTargetReason } from './target-reasons';

/** The lift a holdout should be able to detect (DESIGN.md section 6). */
export const HOPED_FOR_LIFT = 0.2;
const DAY_MS = 24 * 60 * 60 * 1000;
const Z_POWER = 2.801585218; // z(0.975) + z(0.80)

/** How long the check may keep the database busy: it runs beside a create already stored. */
export const HOLDOUT_CHECK_MS = 5_000;

export type CampaignWarning = {
  code: 'holdout_too_small' | 'holdout_not_checked';
  message: string;
  minimum_detectable_lift: number | null;
  /** Without the adjustment by each account's own past contacts. */
  minimum_detectable_lift_unadjusted: number | null;
};

type Sums = {
  accounts: number;
  target1: number;
  target2: number;
  target22: number;
  target12: number;
  every1: number;
  every2: number;
  every22: number;
  every12: number;
};

/**
 * Whether a campaign's holdout can detect a 20% lift in its headline (net) estimate: from the
 * audience's contacts in the two 8-week periods before now, summed in the database (the
 * audience rule runs there, however many accounts match). Each account's counts are a mixed
 * Poisson: the spread beyond Poisson (overdispersion) and the part of it that persists from
 * one period to the next (what the pre-period adjustment removes) come from those two
 * periods; the window's variance follows, adjusted and not. A warning, never an error.
 */
export async function holdoutWarnings(
  deps: Deps,
  campaign: HoldoutDesign,
): Promise<CampaignWarning[]> {
  if (campaign.holdout_percent === 0) return [];
  try {
    return await holdoutPowerWarnings(deps, campaign);
  } catch (error) {
    // A warning, never an error: a campaign stored must not be answered with a 5xx a client
    // would retry, creating it twice.
    deps.logger.warn('holdout power not checked', { error: databaseErrorSummary(error) });
    return [
      {
        code: 'holdout_not_checked',
        message:
          `Whether the ${campaign.holdout_percent}% holdout can show a ` +
          `${HOPED_FOR_LIFT * 100}% lift could not be worked out within ` +
          `${HOLDOUT_CHECK_MS / 1000} s; the campaign was created as asked.`,
        minimum_detectable_lift: null,
        minimum_detectable_lift_unadjusted: null,
      },
    ];
  }
}

type HoldoutDesign = {
  audience: Audience;
  holdout_percent: number;
  target_reasons: string[];
  starts_at?: string | null;
  ends_at?: string | null;
};

async function holdoutPowerWarnings(
  deps: Deps,
  campaign: HoldoutDesign,
): Promise<CampaignWarning[]> {
  const now = deps.clock.now();
  const middle = new Date(now.getTime() - PRE_PERIOD_DAYS * DAY_MS);
  const from = new Date(now.getTime() - 2 * PRE_PERIOD_DAYS * DAY_MS);
  const [sums] = rowsOf<Sums>(
    await withinStatementTimeout(deps.db, HOLDOUT_CHECK_MS, (tx) =>
      tx.execute(sql`
      with audience as (select a.id from accounts a where ${audienceCondition(campaign.audience)}),
      per_account as (
        select t.account_id,
               count(*) filter (where t.created_at < ${middle.toISOString()} and t.target) as t1,
               count(*) filter (where t.created_at >= ${middle.toISOString()} and t.target) as t2,
               count(*) filter (where t.created_at < ${middle.toISOString()}) as e1,
               count(*) filter (where t.created_at >= ${middle.toISOString()}) as e2
        from (
          select account_id, created_at,
                 ${isTargetReason(sql`reason_slug`, campaign.target_reasons)} as target
          from tickets
          where created_at >= ${from.toISOString()} and created_at < ${now.toISOString()}
        ) t
        join audience on audience.id = t.account_id
        group by 1
      )
      select (select count(*) from audience)::float8 as accounts,
             coalesce(sum(t1), 0)::float8 as target1, coalesce(sum(t2), 0)::float8 as target2,
             coalesce(sum(t2 * t2), 0)::float8 as target22,
             coalesce(sum(t1 * t2), 0)::float8 as target12,
             coalesce(sum(e1), 0)::float8 as every1, coalesce(sum(e2), 0)::float8 as every2,
             coalesce(sum(e2 * e2), 0)::float8 as every22,
             coalesce(sum(e1 * e2), 0)::float8 as every12
      from per_account`),
    ),
  );
  const accounts = sums?.accounts ?? 0;
  const starts = campaign.starts_at ? new Date(campaign.starts_at) : now;
  const ends = campaign.ends_at
    ? new Date(campaign.ends_at)
    : new Date(starts.getTime() + 7 * DAY_MS);
  const windowDays = (ends.getTime() - starts.getTime()) / DAY_MS + deps.config.impactWindowDays;
  const held = Math.round((accounts * campaign.holdout_percent) / 100);
  const treated = accounts - held;
  const design = (p: 'target' | 'every') =>
    windowVariance(
      accounts,
      sums?.[`${p}1`] ?? 0,
      sums?.[`${p}2`] ?? 0,
      sums?.[`${p}22`] ?? 0,
      sums?.[`${p}12`] ?? 0,
      windowDays,
    );
  const target = design('target');
  const net = design('every');
  const lift = (variance: number) =>
    target.mean > 0 && treated > 0 && held > 0
      ? (Z_POWER * Math.sqrt(variance * (1 / treated + 1 / held))) / target.mean
      : null;
  const mde = lift(net.adjusted);
  if (mde !== null && mde <= HOPED_FOR_LIFT) return [];
  return [
    {
      code: 'holdout_too_small',
      message:
        mde === null
          ? `The audience (${accounts} accounts) had no contacts ` +
            (campaign.target_reasons.length > 0 ? 'for the target reasons ' : '') +
            `in the last ${PRE_PERIOD_DAYS} days, so no holdout can show a ` +
            `${HOPED_FOR_LIFT * 100}% lift.`
          : `With ${accounts} accounts and a ${campaign.holdout_percent}% holdout, ` +
            (mde >= 1
              ? 'this campaign cannot show a lift in net prevented contacts: even preventing ' +
                'every one of its target contacts would likely go unnoticed.'
              : 'the smallest lift this campaign can show in net prevented contacts is about ' +
                `${Math.round(mde * 100)}% of its target contacts; a ` +
                `${HOPED_FOR_LIFT * 100}% lift would go unnoticed.`) +
            ' Raise the holdout or widen the audience.',
      minimum_detectable_lift: mde,
      minimum_detectable_lift_unadjusted: lift(net.unadjusted),
    },
  ];
}

/**
 * One account's expected contacts over the window and their variance, with and without the
 * adjustment by its contacts in the 8 weeks before. Counts are mixed Poisson: over d days,
 * Var = μd + σ²d², and two adjacent 8-week periods share the persistent part of σ², which the
 * adjustment removes (an account's own past predicts its window by that much).
 */
function windowVariance(
  accounts: number,
  first: number,
  second: number,
  secondSquares: number,
  cross: number,
  days: number,
) {
  if (accounts < 2) return { mean: 0, adjusted: 0, unadjusted: 0 };
  const p = PRE_PERIOD_DAYS;
  const mean1 = first / accounts;
  const mean2 = second / accounts;
  const var2 = Math.max(0, secondSquares / accounts - mean2 * mean2);
  const cov12 = cross / accounts - mean1 * mean2;
  const perDay = mean2 / p;
  const heterogeneity = Math.max(0, (var2 - mean2) / (p * p));
  const persistent = Math.max(0, Math.min(heterogeneity, cov12 / (p * p)));
  const unadjusted = perDay * days + heterogeneity * days * days;
  const covariance = persistent * p * days;
  const adjusted = var2 > 0 ? unadjusted - (covariance * covariance) / var2 : unadjusted;
  // No covariate removes the Poisson noise of the window itself.
  return { mean: perDay * days, adjusted: Math.max(adjusted, perDay * days), unadjusted };
}
