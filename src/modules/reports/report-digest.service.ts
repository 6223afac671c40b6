import { formatInTimeZone } from 'date-fns-tz';
import { createElement } from 'react';
import { v7 as uuidv7 } from 'uuid';
import ReportDigestEmail from '../../../emails/report-digest';
import type { Deps } from '../../deps';
import { renderHtmlAndText } from '../email/compose/render-campaign-email';
import type { BatchOutcome } from '../email/transport/email-transport';
import { addWeeks, currentWeek } from '../reasons/weeks';
import { deflectionNoneText, NO_HOLDOUT_ESTIMATE, preventedText, savedText } from './effect-text';
import { preventedContactsReport } from './prevented-contacts-report.service';
import {
  formatCount,
  formatHours,
  formatInterval,
  formatMoney,
  formatPercent,
} from './report-format';
import type { PreventedContactsReport } from './report-schemas';
import {
  netTreatedContacts,
  OBSERVATIONAL_CAVEAT,
  OBSERVATIONAL_SUM_LABEL,
  observationalOverlapNote,
  observationalSum,
  totalsCoverage,
  WHOLE_WINDOWS,
} from './totals-coverage';

const DAY_MS = 86_400_000;

/**
 * The net total, savings and deflection as the report page's tiles say them: no estimate when
 * no campaign is in the net total, and not distinguishable from none while its interval holds
 * zero. `subject` is the headline figure the email's subject carries, with what it is over:
 * the campaigns' whole measurement windows, not the week's (see `windowsNote`).
 */
function netFigures(report: PreventedContactsReport) {
  const { prevented, savings_cents: saved, target_prevented: target, shifted } = report.totals;
  const targetShifted =
    target && shifted ? `${formatCount(target.estimate)} / ${formatCount(shifted.estimate)}` : '–';
  if (!prevented || !saved) {
    const none = { prevented: NO_HOLDOUT_ESTIMATE, savings: '–', deflectionRate: '–' };
    return { ...none, headline: NO_HOLDOUT_ESTIMATE, subject: NO_HOLDOUT_ESTIMATE, targetShifted };
  }
  const money = (cents: number) => formatMoney(cents, report.currency);
  const { estimate } = formatInterval(prevented);
  const over = `${WHOLE_WINDOWS}${report.totals.prevented_so_far > 0 ? ', so far' : ''}`;
  const deflectionNone = deflectionNoneText(prevented, netTreatedContacts(report.campaigns));
  if (deflectionNone !== null) {
    return {
      headline: `${estimate} contacts prevented ${over}, not distinguishable from no effect`,
      subject: `${estimate} ${over} (not distinguishable from no effect)`,
      prevented: preventedText(prevented),
      targetShifted,
      savings: savedText(prevented, saved, report.currency),
      deflectionRate: deflectionNone,
    };
  }
  return {
    headline: `${estimate} contacts prevented ${over}, ${money(saved.estimate)} saved`,
    subject: `${estimate} ${over}`,
    prevented: preventedText(prevented),
    targetShifted,
    savings: `${money(saved.estimate)} (95%: ${money(saved.low)} to ${money(saved.high)})`,
    deflectionRate: formatPercent(report.totals.deflection_rate),
  };
}

/**
 * What the campaigns' figures are over, as the report page's reconciliation shows: each
 * campaign's whole measurement window, which may reach outside the week, so a campaign is in
 * the digest of every week its window touches, with the same figure.
 */
const windowsNote = (period: string) =>
  `Prevented contacts, savings, deflection and churn are ${WHOLE_WINDOWS} (dates below), ` +
  `which may reach outside ${period}: a campaign is counted whole in the digest of every ` +
  `week its window touches, so digests do not add up. The other figures are ${period}'s.`;

/** A campaign's figure is final or so far, over its measurement window's days (workspace zone). */
function windowOf(c: PreventedContactsReport['campaigns'][number], zone: string) {
  const day = (instant: string) => formatInTimeZone(new Date(instant), zone, 'yyyy-MM-dd');
  const from = c.exposure.measured_from;
  const days = `${from ? `${day(from)} ` : ''}to ${day(c.window_ends_at)}`;
  return c.measurement === 'final'
    ? `final, over its window ${days}`
    : `so far, over ${days} of its window`;
}

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
  const { subject: headlineFigure, ...net } = netFigures(report);
  const period = `${report.from} to ${report.to}`;
  const element = createElement(ReportDigestEmail, {
    period,
    ...net,
    windows: report.campaigns.length > 0 ? windowsNote(period) : null,
    covers: totalsCoverage(report),
    observational: observationalOf(report),
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
      answer: windowOf(c, report.time_zone),
      // As the page's campaign rows say it, to a tenth.
      prevented: c.prevented ? preventedText(c.prevented, 1) : 'no estimate',
      note: c.exposure.note,
      why: c.prevented ? null : c.reason,
    })),
    reportUrl:
      `${deps.config.publicUrl}/v1/reports/prevented-contacts` +
      `?from=${report.from}&to=${report.to}&format=html`,
  });
  const { html, text } = await renderHtmlAndText(element);
  const subject = `Prevented contacts, ${period}: ${headlineFigure}`;
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
