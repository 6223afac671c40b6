import { render } from '@react-email/render';
import { formatInTimeZone } from 'date-fns-tz';
import { createElement } from 'react';
import { v7 as uuidv7 } from 'uuid';
import ReportDigestEmail from '../../../emails/report-digest';
import type { Deps } from '../../deps';
import type { BatchOutcome } from '../email/email-transport';
import { addWeeks, currentWeek } from '../reasons/weeks';
import { preventedContactsReport } from './prevented-contacts-report.service';

const count = (value: number) => Math.round(value).toLocaleString('en');
const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
const money = (cents: number) =>
  (cents / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * Mails last week's report (Monday to Sunday in the workspace zone) to REPORT_DIGEST_TO through
 * the email transport. The idempotency key names the week, so a retried run is not sent twice.
 */
export async function sendReportDigest(deps: Deps, now: Date): Promise<BatchOutcome | null> {
  const recipients = deps.config.reportDigestTo;
  if (recipients.length === 0) return null;
  const lastWeek = addWeeks(currentWeek(now, deps.config.workspaceTimeZone), -1);
  const sunday = addWeeks(lastWeek, 1);
  const to = formatInTimeZone(
    new Date(`${sunday}T00:00:00Z`).getTime() - 86_400_000,
    'UTC',
    'yyyy-MM-dd',
  );
  const report = await preventedContactsReport(deps, { from: lastWeek, to });
  const { totals } = report;
  const element = createElement(ReportDigestEmail, {
    period: `${report.from} to ${report.to}`,
    prevented: count(totals.prevented.estimate),
    preventedInterval: `${count(totals.prevented.low)} to ${count(totals.prevented.high)}`,
    savings: money(totals.savings_cents.estimate),
    deflectionRate: percent(totals.deflection_rate),
    contacts: count(totals.contacts),
    recontactRate: percent(totals.recontact_rate),
    resolutionRate: percent(totals.resolution_rate),
    campaigns: report.campaigns.map((c) => ({
      title: c.title,
      method: c.method,
      prevented: c.prevented
        ? `${count(c.prevented.estimate)} (${count(c.prevented.low)} to ${count(c.prevented.high)})`
        : 'no estimate yet',
    })),
    reportUrl: `${deps.config.publicUrl}/v1/reports/prevented-contacts?from=${report.from}&to=${report.to}&format=html`,
  });
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  const subject = `Prevented contacts, ${report.from} to ${report.to}: ${count(totals.prevented.estimate)}`;
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
