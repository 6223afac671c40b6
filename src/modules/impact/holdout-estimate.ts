import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

/**
 * Prevented contacts from a randomised holdout (DESIGN.md section 6): per-account contact
 * counts in the measurement window, treated against held-out accounts.
 *   prevented = (r_C − r_T)·n_T,  SE = n_T·√(s_T²/n_T + s_C²/n_C),  95% interval ±1.96·SE
 *   lift = 1 − r_T/r_C, interval by the delta method on log(r_T/r_C)
 * The unequal-variance standard error needs no distributional assumption about the counts,
 * so it stays honest on overdispersed ones; the bench checks its coverage by simulation.
 */

/** Sufficient statistics of one group's per-account counts. */
export type GroupCounts = { accounts: number; contacts: number; sumOfSquares: number };

export type Interval = { estimate: number; low: number; high: number };

export type HoldoutEstimate =
  | {
      status: 'ok';
      treated: { accounts: number; contacts: number; rate: number };
      holdout: { accounts: number; contacts: number; rate: number };
      prevented: Interval;
      /** Relative reduction of the treated rate; null while a group has had no contacts. */
      lift: Interval | null;
      pValue: number;
    }
  | { status: 'insufficient_data'; reason: string };

const Z_95 = 1.959963984540054;

export function summarise(counts: Iterable<number>): GroupCounts {
  const summary: GroupCounts = { accounts: 0, contacts: 0, sumOfSquares: 0 };
  for (const count of counts) {
    summary.accounts += 1;
    summary.contacts += count;
    summary.sumOfSquares += count * count;
  }
  return summary;
}

/** Sample variance of the per-account counts. */
export function variance(group: GroupCounts): number {
  if (group.accounts < 2) return 0;
  const mean = group.contacts / group.accounts;
  return Math.max(0, (group.sumOfSquares - group.accounts * mean * mean) / (group.accounts - 1));
}

export function estimateWithHoldout(treated: GroupCounts, holdout: GroupCounts): HoldoutEstimate {
  if (treated.accounts < 2 || holdout.accounts < 2) {
    return {
      status: 'insufficient_data',
      reason: `needs at least 2 accounts in each group (treated ${treated.accounts}, holdout ${holdout.accounts})`,
    };
  }
  const rT = treated.contacts / treated.accounts;
  const rC = holdout.contacts / holdout.accounts;
  const vT = variance(treated) / treated.accounts;
  const vC = variance(holdout) / holdout.accounts;
  const seDifference = Math.sqrt(vT + vC);
  if (seDifference === 0) {
    return {
      status: 'insufficient_data',
      reason: 'no variation in contacts yet (no group has had a contact)',
    };
  }
  const difference = rC - rT;
  const prevented = difference * treated.accounts;
  const se = seDifference * treated.accounts;
  const z = difference / seDifference;
  return {
    status: 'ok',
    treated: { accounts: treated.accounts, contacts: treated.contacts, rate: rT },
    holdout: { accounts: holdout.accounts, contacts: holdout.contacts, rate: rC },
    prevented: { estimate: prevented, low: prevented - Z_95 * se, high: prevented + Z_95 * se },
    lift: liftInterval(rT, rC, vT, vC),
    pValue: 2 * (1 - normalCdf(Math.abs(z), 0, 1)),
  };
}

function liftInterval(rT: number, rC: number, vT: number, vC: number): Interval | null {
  // With no contacts in a group the log ratio has no spread to estimate: no interval.
  if (rC === 0 || rT === 0) return null;
  const logRatio = Math.log(rT / rC);
  const seLog = Math.sqrt(vT / (rT * rT) + vC / (rC * rC));
  // Lift falls as the ratio rises, so the interval's ends swap.
  return {
    estimate: 1 - rT / rC,
    low: 1 - Math.exp(logRatio + Z_95 * seLog),
    high: 1 - Math.exp(logRatio - Z_95 * seLog),
  };
}

/**
 * The smallest difference in contact rate (contacts per account) a holdout design detects
 * with 80% power at a two-sided 5% level: 2.80·σ·√(1/n_T + 1/n_C).
 */
export function minimumDetectableDifference(
  sigma: number,
  treatedAccounts: number,
  holdoutAccounts: number,
): number {
  if (treatedAccounts === 0 || holdoutAccounts === 0) return Number.POSITIVE_INFINITY;
  return 2.8 * sigma * Math.sqrt(1 / treatedAccounts + 1 / holdoutAccounts);
}

/**
 * The smallest relative lift (share of `rate`, the expected contacts per account) those group
 * sizes detect; null when no contacts are expected or a group is empty.
 */
export function minimumDetectableLift(
  rate: number,
  sigma: number,
  treatedAccounts: number,
  holdoutAccounts: number,
): number | null {
  const difference = minimumDetectableDifference(sigma, treatedAccounts, holdoutAccounts);
  return rate > 0 && Number.isFinite(difference) ? difference / rate : null;
}
