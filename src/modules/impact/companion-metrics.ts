import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import type { GroupMeasurement } from './campaign-measurements';

/** A share, or null when there is nothing to divide by (never a fabricated 0). */
export const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/**
 * A group's companion metrics over the campaign's window, all reasons (DESIGN.md section 6):
 * what keeps deflection honest. CSAT is the share of rated contacts scored 4 or 5.
 */
export const groupCompanion = (group: GroupMeasurement, costPerTicketCents: number) => ({
  accounts: group.accounts,
  contacts: group.contacts,
  target_contacts: group.targetContacts,
  recontact_rate: rate(group.recontacts, group.contacts),
  resolution_rate: rate(group.resolved, group.contacts),
  cost_per_resolution_cents:
    group.resolved > 0 ? Math.round((group.contacts * costPerTicketCents) / group.resolved) : null,
  csat: rate(group.csat.satisfied, group.csat.responses),
  csat_responses: group.csat.responses,
  first_response_median_hours: group.firstResponse.medianHours,
  first_response_p90_hours: group.firstResponse.p90Hours,
  churn_rate: rate(group.churned, group.accounts),
  downgrade_rate: rate(group.downgraded, group.accounts),
});

export type GroupCompanion = ReturnType<typeof groupCompanion>;

export type CompanionWarning = {
  code: 'csat_down' | 'recontacts_up' | 'churn_up';
  message: string;
};

/**
 * Sums over a group's accounts of a rate's numerator y and denominator x, each account's own
 * (re-contacts and contacts; satisfied and rated contacts; churned and 1): the rate is y / x,
 * and its variance comes from how accounts differ, not contacts. `accounts` counts those with
 * x above 0, the only ones that bear on the rate.
 */
export type AccountSums = {
  accounts: number;
  y: number;
  x: number;
  yy: number;
  xy: number;
  xx: number;
};

export const emptyAccountSums = (): AccountSums => ({
  accounts: 0,
  y: 0,
  x: 0,
  yy: 0,
  xy: 0,
  xx: 0,
});

/** Each account churned (1) or not (0) out of 1: churn's sums, from the group's counts. */
const churnSums = (group: GroupMeasurement): AccountSums => ({
  accounts: group.accounts,
  y: group.churned,
  x: group.accounts,
  yy: group.churned,
  xy: group.churned,
  xx: group.accounts,
});

/** The share of campaigns with no true difference that may show any warning. */
const FAMILY_LEVEL = 0.05;
/** How many companion rates are tested together (CSAT, re-contacts, churn). */
const COMPANION_TESTS = 3;

/**
 * The seed's warning: deflection that comes with worse companion figures is not plainly a
 * saving. Considered when contacts went down (the net estimate is above 0): treated accounts'
 * CSAT lower, or their re-contact or churn rate higher, than the held-out accounts', by more
 * than chance explains. Each is a one-sided test of two rates whose variance is clustered by
 * account (`exceeds`), and the three are tested as a family (Holm): with no true difference,
 * at most 5% of campaigns show any warning, not 5% for each of the three.
 *
 * CSAT and re-contacts are over the contacts that still arrived, which the campaign itself
 * selects (the contacts it prevented may have been the easy ones): a lower CSAT among them can
 * be a different mix of contacts rather than worse service, and the messages say what they
 * compare, not that the campaign made anything worse. Churn is over all the group's accounts.
 */
export function companionWarnings(
  netPrevented: number | null,
  treated: GroupMeasurement,
  holdout: GroupMeasurement,
): CompanionWarning[] {
  if (netPrevented === null || netPrevented <= 0) return [];
  const candidates: (CompanionWarning & { p: number })[] = [];
  const csat = exceeds(holdout.perAccount.csat, treated.perAccount.csat);
  if (csat) {
    candidates.push({
      code: 'csat_down',
      p: csat.p,
      message:
        `Contacts went down, and the CSAT of the contacts that still arrived is lower for ` +
        `treated accounts: ${pct(csat.lower)} of their ratings were 4 or 5, against ` +
        `${pct(csat.higher)} held out. The campaign changes which contacts still arrive, so ` +
        `this compares different mixes of contacts, not necessarily worse service.`,
    });
  }
  const recontacts = exceeds(treated.perAccount.recontacts, holdout.perAccount.recontacts);
  if (recontacts) {
    candidates.push({
      code: 'recontacts_up',
      p: recontacts.p,
      message:
        `Contacts went down, and re-contacts within 48 h among the contacts that still arrived ` +
        `are higher for treated accounts: ${pct(recontacts.higher)} of their contacts, against ` +
        `${pct(recontacts.lower)} held out. The campaign changes which contacts still arrive, ` +
        `so this compares different mixes of contacts.`,
    });
  }
  const churn = exceeds(churnSums(treated), churnSums(holdout));
  if (churn) {
    candidates.push({
      code: 'churn_up',
      p: churn.p,
      message:
        `Contacts went down, and churn is higher for treated accounts: ` +
        `${pct(churn.higher)} of them churned in their window, against ${pct(churn.lower)} ` +
        `of the held-out accounts.`,
    });
  }
  // Holm: the smallest p-value against 5% / 3, the next against 5% / 2, and so on, stopping
  // at the first that falls short.
  const ranked = [...candidates].sort((a, b) => a.p - b.p);
  const shown = new Set<string>();
  for (const [rank, candidate] of ranked.entries()) {
    if (candidate.p >= FAMILY_LEVEL / (COMPANION_TESTS - rank)) break;
    shown.add(candidate.code);
  }
  return candidates
    .filter((c) => shown.has(c.code))
    .map(({ code, message }) => ({ code, message }));
}

/**
 * Whether rate a (a.y / a.x) exceeds rate b beyond chance: a one-sided z test on the
 * difference of two ratio estimators with variances clustered by account. Each is the
 * linearised (delta-method) variance of a ratio, as in cluster-robust standard errors:
 * Σ eᵢ² / (Σ xᵢ)² over the group's accounts, eᵢ = yᵢ − R·xᵢ an account's residual at the two
 * groups' pooled rate R (as the pooled two-proportion test pools its p). The residuals' scale
 * is pooled too: a group's Σ eᵢ² is taken as φ·Σ xᵢ², φ = Σ eᵢ² / Σ xᵢ² over both groups'
 * accounts, times K / (K − 1) for the K accounts with a denominator. A group's own Σ eᵢ² is
 * noisy in a small holdout and smallest exactly when its rate happens to lie far out, so
 * tests on it warn too often (18% of campaigns with 100 held-out accounts and no difference);
 * scaling by Σ xᵢ² keeps a group of fewer contacts (the treated, when the campaign worked)
 * from borrowing the other's larger residuals. For a rate of accounts (churn: x = 1) this is
 * the pooled two-proportion test. Answers the two rates and the p-value, or null when either
 * group has fewer than two accounts with a denominator, or a is not higher.
 */
export function exceeds(a: AccountSums, b: AccountSums) {
  if (a.accounts < 2 || b.accounts < 2 || a.x <= 0 || b.x <= 0) return null;
  const higher = a.y / a.x;
  const lower = b.y / b.x;
  if (higher <= lower) return null;
  const pooled = (a.y + b.y) / (a.x + b.x);
  const squares = (g: AccountSums) => g.yy - 2 * pooled * g.xy + pooled * pooled * g.xx;
  const accounts = a.accounts + b.accounts;
  const scale =
    (Math.max(0, squares(a) + squares(b)) / (a.xx + b.xx)) * (accounts / (accounts - 1));
  const se = Math.sqrt(scale * (a.xx / (a.x * a.x) + b.xx / (b.x * b.x)));
  if (!(se > 0)) return null;
  return { higher, lower, p: 1 - normalCdf((higher - lower) / se, 0, 1) };
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
