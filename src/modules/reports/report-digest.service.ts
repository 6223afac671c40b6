import { createElement } from 'react';
import { v7 as uuidv7 } from 'uuid';
import ReportDigestEmail from '../../../emails/report-digest';
import type { Deps } from '../../deps';
import { renderHtmlAndText } from '../email/compose/render-campaign-email';
import type { BatchOutcome } from '../email/transport/email-transport';
import { addWeeks, currentWeek } from '../reasons/weeks';
import { preventedContactsReport } from './prevented-contacts-report.service';
import { formatCount, formatHours, formatMoney, formatPercent } from './report-format';
import type { PreventedContactsReport } from './report-schemas';
import {
  OBSERVATIONAL_CAVEAT,
  OBSERVATIONAL_SUM_LABEL,
  observationalOverlapNote,
  observationalSum,
  totalsCoverage,
} from './totals-coverage';

const DAY_MS = 86_400_000;
const range = (i: { low: number; high: number }) =>
  `${formatCount(i.low)} to ${formatCount(i.high)}`;

/** The page's observational sum, in its words and with its caveat, or null without one. */
function observationalOf(report: PreventedContactsReport) {
  const sum = observationalSum(report);
  if (!sum) return null;
  const overlap = observationalOverlapNote(report);
  const caveat = overlap ? `${overlap} ${OBSERVATIONAL_CAVEAT}` : OBSERVATIONAL_CAVEAT;
  return { label: OBSERVATIONAL_SUM_LABEL, sum, caveat };
}

/**
 * Mails the report of the week before `scheduledAt`'s (Monday to Sunday in the workspace zone)
 * to REPORT_DIGEST_TO through the email transport: a run made up late reports the week its
 * scheduled run would have. The idempotency key names the week, so a retried run is not sent
 * twice.
 */
export async function sendReportDigest(
  deps: Deps,
  scheduledAt: Date,
): Promise<BatchOutcome | null> {
  const recipients = deps.config.reportDigestTo;
  if (recipients.length === 0) return null;
  const lastWeek = addWeeks(currentWeek(scheduledAt, deps.config.workspaceTimeZone), -1);
  const to = new Date(Date.parse(`${lastWeek}T00:00:00Z`) + 6 * DAY_MS).toISOString().slice(0, 10);
  const report = await preventedContactsReport(deps, { from: lastWeek, to });
  const { totals } = report;
  const element = createElement(ReportDigestEmail, {
    period: `${report.from} to ${report.to}`,
    prevented: formatCount(totals.prevented.estimate),
    preventedInterval: range(totals.prevented),
    targetPrevented: formatCount(totals.target_prevented.estimate),
    shifted: formatCount(totals.shifted.estimate),
    savings: formatMoney(totals.savings_cents.estimate, report.currency),
    savingsInterval:
      `${formatMoney(totals.savings_cents.low, report.currency)} to ` +
      formatMoney(totals.savings_cents.high, report.currency),
    covers: totalsCoverage(report),
    observational: observationalOf(report),
    deflectionRate: formatPercent(totals.deflection_rate),
    contacts: formatCount(totals.contacts),
    csat: formatPercent(totals.csat),
    firstResponse:
      `${formatHours(totals.first_response_median_hours)} ` +
      `(${formatHours(totals.first_response_p90_hours)})`,
    recontactRate: formatPercent(totals.recontact_rate),
    resolutionRate: formatPercent(totals.resolution_rate),
    costPerResolution: formatMoney(totals.cost_per_resolution_cents, report.currency),
    churn: [totals.churn_rate.treated, totals.churn_rate.holdout].map(formatPercent).join(' / '),
    warnings: report.campaigns.flatMap((c) => c.warnings.map((w) => `${c.title}: ${w.message}`)),
    campaigns: report.campaigns.map((c) => ({
      title: c.title,
      status: c.status,
      method: c.method,
      answer: c.measurement === 'final' ? 'final' : 'so far',
      prevented: c.prevented
        ? `${formatCount(c.prevented.estimate)} (${range(c.prevented)})`
        : 'no estimate yet',
    })),
    reportUrl:
      `${deps.config.publicUrl}/v1/reports/prevented-contacts` +
      `?from=${report.from}&to=${report.to}&format=html`,
  });
  const { html, text } = await renderHtmlAndText(element);
  const prevented = formatCount(totals.prevented.estimate);
  const subject = `Prevented contacts, ${report.from} to ${report.to}: ${prevented}`;
  return deps.mailer.sendBatch(
    recipients.map((address) => ({
      deliveryId: uuidv7(),
      campaignId: null,
      from: deps.config.email.from,
      to: address,
      subject,
      html,
      text,
      headers: {},
    })),
    `forestall-report-digest-${lastWeek}`,
  );
}
