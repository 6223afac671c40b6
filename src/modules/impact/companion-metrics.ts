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
 * The seed's warning: deflection that comes with worse service is not a saving. Raised when
 * contacts went down (the net estimate is above 0) while treated accounts' CSAT is lower, or
 * their re-contact or churn rate higher, than the held-out accounts', by more than chance
 * explains (one-sided two-proportion test at 5%).
 */
export function companionWarnings(
  netPrevented: number | null,
  treated: GroupMeasurement,
  holdout: GroupMeasurement,
): CompanionWarning[] {
  if (netPrevented === null || netPrevented <= 0) return [];
  const warnings: CompanionWarning[] = [];
  const csat = exceeds(
    [holdout.csat.satisfied, holdout.csat.responses],
    [treated.csat.satisfied, treated.csat.responses],
  );
  if (csat) {
    warnings.push({
      code: 'csat_down',
      message:
        `Contacts went down but CSAT fell: ${pct(csat.lower)} of treated accounts' ratings ` +
        `were 4 or 5, against ${pct(csat.higher)} held out.`,
    });
  }
  const recontacts = exceeds(
    [treated.recontacts, treated.contacts],
    [holdout.recontacts, holdout.contacts],
  );
  if (recontacts) {
    warnings.push({
      code: 'recontacts_up',
      message:
        `Contacts went down but re-contacts within 48 h rose: ${pct(recontacts.higher)} of ` +
        `treated accounts' contacts, against ${pct(recontacts.lower)} held out.`,
    });
  }
  const churn = exceeds([treated.churned, treated.accounts], [holdout.churned, holdout.accounts]);
  if (churn) {
    warnings.push({
      code: 'churn_up',
      message:
        `Contacts went down but churn rose: ${pct(churn.higher)} of treated accounts churned ` +
        `in their window, against ${pct(churn.lower)} held out.`,
    });
  }
  return warnings;
}

/** Whether the share a[0]/a[1] exceeds b[0]/b[1] beyond chance (one-sided z test, 5%). */
function exceeds(a: [number, number], b: [number, number]) {
  const [aHits, aTotal] = a;
  const [bHits, bTotal] = b;
  if (aTotal === 0 || bTotal === 0) return null;
  const higher = aHits / aTotal;
  const lower = bHits / bTotal;
  const pooled = (aHits + bHits) / (aTotal + bTotal);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / aTotal + 1 / bTotal));
  if (!(se > 0) || higher <= lower) return null;
  return 1 - normalCdf((higher - lower) / se, 0, 1) < 0.05 ? { higher, lower } : null;
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
