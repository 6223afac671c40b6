import { and, between, inArray } from 'drizzle-orm';
import { html, raw } from 'hono/html';
import { spikeAlerts } from '../../db/schema';
import type { Deps } from '../../deps';
import { listOccurrences } from '../events/events.service';
import { weeklySeries } from '../reasons/weekly-series.service';
import { mondayOf } from '../reasons/weeks';
import type { PreventedContactsReport } from './prevented-contacts-report.service';
import { preventedPerCampaignChart, savingsChart, weeklyContactsChart } from './report-charts';

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, sans-serif; color: #1d2430; }
  .report { max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
  h1 { margin-bottom: .2rem; } .meta { color: #4a5566; margin-top: 0; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; }
  .tile { border: 1px solid #d5dae1; border-radius: .5rem; padding: .75rem 1rem; }
  .tile b { display: block; font-size: 1.4rem; } .tile span { color: #4a5566; font-size: .85rem; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1.5rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e4e7eb; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  figure { margin: 1.5rem 0; break-inside: avoid; } .label { color: #8a5a00; font-size: .8rem; }
  @media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
`;

const number = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined
    ? '–'
    : value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
const money = (cents: number | null | undefined) =>
  cents === null || cents === undefined
    ? '–'
    : (cents / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The charts' extra inputs: the period's top reasons by week, their spikes, and the events. */
async function chartInputs(deps: Deps, report: PreventedContactsReport) {
  const weekly = await weeklySeries(deps, { from: report.from, to: report.to, top: 6 });
  const reasons = weekly.series.map((s) => s.reason);
  const [spikes, occurrences] = await Promise.all([
    reasons.length === 0
      ? []
      : deps.db
          .select({
            reason: spikeAlerts.reasonSlug,
            week: spikeAlerts.week,
            observed: spikeAlerts.observed,
          })
          .from(spikeAlerts)
          .where(
            and(
              inArray(spikeAlerts.reasonSlug, reasons),
              between(spikeAlerts.week, weekly.weeks[0] ?? '', weekly.weeks.at(-1) ?? ''),
            ),
          ),
    listOccurrences(deps, {
      from: new Date(`${report.from}T00:00:00Z`),
      to: new Date(`${report.to}T23:59:59Z`),
    }),
  ]);
  const labelOf = new Map(weekly.series.map((s) => [s.reason, s.label]));
  const clampWeek = (iso: string) => {
    const week = mondayOf(iso.slice(0, 10));
    const first = weekly.weeks[0] ?? week;
    const last = weekly.weeks.at(-1) ?? week;
    // The middle of the three (ISO dates sort as strings) clamps the week into the chart.
    return [first, week, last].sort()[1] ?? week;
  };
  return {
    weeks: weekly.weeks,
    series: weekly.series.map((s) => ({ label: s.label, counts: s.counts })),
    spikes: spikes.map((s) => ({
      label: labelOf.get(s.reason) ?? s.reason,
      week: s.week,
      observed: s.observed,
    })),
    events: occurrences.map((o) => ({
      title: o.title,
      fromWeek: clampWeek(o.starts_at),
      toWeek: clampWeek(o.ends_at),
    })),
    campaigns: report.campaigns
      .filter((c) => c.starts_at)
      .map((c) => ({
        title: c.title,
        fromWeek: clampWeek(c.starts_at ?? ''),
        toWeek: clampWeek(c.ends_at ?? c.window_ends_at),
      })),
  };
}

/** The report's content (styled, with its charts), for the page below and the console. */
export async function reportSections(deps: Deps, report: PreventedContactsReport): Promise<string> {
  const inputs = await chartInputs(deps, report);
  const measured = report.campaigns.filter((c) => c.prevented);
  const { totals } = report;
  const sections = html`<style>${raw(STYLE)}</style>
    <div class="report">
    <header>
      <h1>Prevented contacts</h1>
      <p class="meta">${report.from} to ${report.to} (${report.time_zone}) · cost per ticket ${money(report.cost_per_ticket_cents)}</p>
    </header>
    <main>
      <section class="tiles" aria-label="Totals">
        <div class="tile"><b>${number(totals.prevented.estimate)}</b><span>contacts prevented (95%: ${number(totals.prevented.low)} to ${number(totals.prevented.high)}), measured against holdouts</span></div>
        <div class="tile"><b>${money(totals.savings_cents.estimate)}</b><span>saved (${money(totals.savings_cents.low)} to ${money(totals.savings_cents.high)})</span></div>
        <div class="tile"><b>${percent(totals.deflection_rate)}</b><span>deflection rate</span></div>
        <div class="tile"><b>${number(totals.contacts)}</b><span>contacts in the period</span></div>
        <div class="tile"><b>${percent(totals.recontact_rate)}</b><span>re-contacts within 48 h</span></div>
        <div class="tile"><b>${percent(totals.resolution_rate)}</b><span>resolved</span></div>
        <div class="tile"><b>${money(totals.cost_per_resolution_cents)}</b><span>cost per resolution</span></div>
      </section>
      ${totals.prevented_observational ? html`<p class="label">Campaigns without a holdout (observational estimates, not in the totals): ${number(totals.prevented_observational.estimate)} contacts (${number(totals.prevented_observational.low)} to ${number(totals.prevented_observational.high)}).</p>` : ''}
      <figure>${raw(weeklyContactsChart(inputs))}<figcaption>Pins mark spikes; grey bands are events, blue bands campaign windows.</figcaption></figure>
      ${measured.length > 0 ? html`<figure>${raw(preventedPerCampaignChart(measured.map((c) => ({ title: c.title, ...(c.prevented as { estimate: number; low: number; high: number }) }))))}</figure>` : ''}
      <figure>${raw(savingsChart(report.weeks.map((w) => ({ week: w.week, savings: w.savings_cents / 100 }))))}</figure>

      <h2>Campaigns</h2>
      ${
        report.campaigns.length === 0
          ? html`<p>No campaign was measured in this period.</p>`
          : html`<table>
        <thead><tr><th>Campaign</th><th>Method</th><th class="n">Prevented</th><th class="n">95% interval</th><th class="n">Saved</th><th class="n">Deflection</th><th class="n">Re-contacts treated / holdout</th><th class="n">Resolved treated / holdout</th></tr></thead>
        <tbody>${report.campaigns.map(
          (c) => html`<tr>
            <td>${c.title}<br /><span class="label">${c.status}, ${c.measurement === 'final' ? 'final' : 'so far'}</span></td>
            <td>${c.method}</td>
            <td class="n">${c.prevented ? number(c.prevented.estimate, 1) : html`<span title="${c.reason ?? ''}">no estimate</span>`}</td>
            <td class="n">${c.prevented ? `${number(c.prevented.low, 1)} to ${number(c.prevented.high, 1)}` : (c.reason ?? '')}</td>
            <td class="n">${money(c.savings_cents?.estimate)}</td>
            <td class="n">${percent(c.deflection_rate)}</td>
            <td class="n">${percent(c.treated.recontact_rate)} / ${percent(c.holdout.recontact_rate)}</td>
            <td class="n">${percent(c.treated.resolution_rate)} / ${percent(c.holdout.resolution_rate)}</td>
          </tr>`,
        )}</tbody></table>`
      }

      <h2>Reasons</h2>
      <table>
        <thead><tr><th>Reason</th><th class="n">Contacts</th><th class="n">Re-contacts</th><th class="n">Resolved</th><th class="n">Prevented</th></tr></thead>
        <tbody>${report.reasons.map(
          (r) =>
            html`<tr><td>${r.label}</td><td class="n">${number(r.contacts)}</td><td class="n">${percent(r.recontact_rate)}</td><td class="n">${percent(r.resolution_rate)}</td><td class="n">${number(r.prevented, 1)}</td></tr>`,
        )}</tbody>
      </table>

      <h2>Weeks</h2>
      <table>
        <thead><tr><th>Week of</th><th class="n">Contacts</th><th class="n">Re-contacts</th><th class="n">Resolved</th><th class="n">Prevented</th><th class="n">Saved</th></tr></thead>
        <tbody>${report.weeks.map(
          (w) =>
            html`<tr><td>${w.week}</td><td class="n">${number(w.contacts)}</td><td class="n">${percent(w.recontact_rate)}</td><td class="n">${percent(w.resolution_rate)}</td><td class="n">${number(w.prevented, 1)}</td><td class="n">${money(w.savings_cents)}</td></tr>`,
        )}</tbody>
      </table>
      <p class="meta">Prevented contacts compare each campaign's exposed accounts with its held-out accounts over the campaign's measurement window (to ${deps.config.impactWindowDays} days after it ends). Per reason and per week they are point estimates that add up to the campaigns' own. Deflection rate = prevented / (contacts + prevented).</p>
    </main>
    </div>`;
  return String(await sections);
}

/** The leaders' report as a printable page: the same numbers as the JSON and the CSV. */
export async function renderReportPage(
  deps: Deps,
  report: PreventedContactsReport,
): Promise<string> {
  const page = html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Prevented contacts, ${report.from} to ${report.to}</title>
  </head>
  <body>${raw(await reportSections(deps, report))}</body>
</html>`;
  return String(await page);
}
