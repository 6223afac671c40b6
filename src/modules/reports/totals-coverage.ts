import { formatCount, formatInterval } from './report-format';
import type { PreventedContactsReport, ReportCampaign } from './report-schemas';

/**
 * In the net total, and so in savings, deflection rate and the churn and downgrade totals:
 * measured against a holdout, with a net answer (one refused as insufficient data is not).
 */
export const inNetTotal = (c: ReportCampaign) => c.method === 'holdout' && c.prevented !== null;

/** The treated accounts' contacts of the campaigns in the net total: deflection's denominator. */
export const netTreatedContacts = (campaigns: ReportCampaign[]) =>
  campaigns.filter(inNetTotal).reduce((sum, c) => sum + c.treated.contacts, 0);

/** In the target-reason and shifted totals: with both a net and a target answer. */
export const inTargetTotal = (c: ReportCampaign) =>
  c.shifted !== null && c.target_prevented !== null;

/** What the net total and each campaign's figure are over, as the digest's subject says. */
export const WHOLE_WINDOWS = "over the campaigns' whole measurement windows";

const campaignCount = (n: number) => `${formatCount(n)} campaign${n === 1 ? '' : 's'}`;

/**
 * Which campaigns each headline total covers, in the words the report page's tiles and the
 * emailed digest both use: a total over some campaigns must not read as one over all of them.
 */
export function totalsCoverage(report: PreventedContactsReport) {
  const net = report.campaigns.filter(inNetTotal).length;
  const target = report.campaigns.filter(inTargetTotal).length;
  const running = report.totals.prevented_so_far;
  const windows = `over ${net === 1 ? 'its whole measurement window' : 'their whole measurement windows'}`;
  return {
    /**
     * Of the net total: which campaigns, over what, and how many of them are still running (so
     * far, their part of the interval the wider one that holds however often it is read).
     */
    net:
      `measured against holdouts: ${formatCount(net)} of ${campaignCount(report.totals.campaigns)}` +
      (net > 0 ? `, ${windows}` : '') +
      (running > 0
        ? ` (${net === 1 ? 'still running' : `${formatCount(running)} still running`}: so far, ` +
          'with the wider interval that holds however often it is read)'
        : ''),
    /** Of savings, deflection rate and the churn and downgrade totals. */
    sameAsNet: `of the ${campaignCount(net)} in the net total`,
    /** Of the target-reason and shifted totals. */
    target: `of the ${campaignCount(target)} with a target and a net answer`,
  };
}

export type TotalsCoverage = ReturnType<typeof totalsCoverage>;

/** The label of the observational sum, which no total includes, on the page and in the digest. */
export const OBSERVATIONAL_SUM_LABEL =
  'Campaigns without a holdout (observational estimates, not in the totals)';

/** What an observational estimate is, beside the sum and in the page's notes. */
export const OBSERVATIONAL_CAVEAT =
  'A campaign without a holdout has an observational estimate instead, of its target reasons, ' +
  'with an interval from simulation, not one that stays valid however often it is read.';

/** The report's observational sum as the page and the digest show it, or null without one. */
export function observationalSum(report: PreventedContactsReport): string | null {
  const sum = report.totals.prevented_observational;
  if (!sum) return null;
  const { estimate, low, high } = formatInterval(sum);
  return `${estimate} contacts (${low} to ${high})`;
}

/**
 * Why campaigns without a holdout are missing from the observational sum, or null: estimates
 * whose windows and target reasons overlap claim the same contacts, so none of them is summed.
 */
export function observationalOverlapNote(report: PreventedContactsReport): string | null {
  const n = report.totals.observational_overlapping;
  if (n === 0) return null;
  return (
    `${campaignCount(n)} without a holdout ${n === 1 ? 'is' : 'are'} left out of this figure: ` +
    'their windows and target reasons overlap another’s, so their estimates claim the same ' +
    'contacts.'
  );
}
