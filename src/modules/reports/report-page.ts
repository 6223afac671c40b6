import { html, raw } from 'hono/html';
import type { Deps } from '../../deps';
import { computeSized } from '../../threads/compute';
import type { Interval } from '../impact/holdout-estimate';
import type { PreventedContactsReport } from './prevented-contacts-report.service';
import { smallWeeklyChart } from './report-charts';
import { formatCount, formatHours, formatMoney, formatPercent } from './report-format';
import { weeklyChartInput } from './weekly-chart-input';

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
  .warnings { border: 1px solid #b45309; background: #fff7ed; border-radius: .5rem; padding: .25rem 1rem; margin-bottom: 1rem; }
  .warnings h2 { font-size: 1rem; color: #8a3a00; }
  @media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
`;

/** The report's content (styled, with its charts), for the page below and the console. */
export async function reportSections(deps: Deps, report: PreventedContactsReport): Promise<string> {
  const { chart } = await weeklyChartInput(
    deps,
    { from: report.from, to: report.to, top: 6 },
    report.campaigns.flatMap((c) =>
      c.starts_at
        ? [{ title: c.title, starts_at: c.starts_at, ends_at: c.ends_at ?? c.window_ends_at }]
        : [],
    ),
  );
  const measured = report.campaigns.filter((c) => c.prevented);
  const { totals } = report;
  const warnings = report.campaigns.flatMap((c) =>
    c.warnings.map((w) => ({ title: c.title, message: w.message })),
  );
  // Drawing the charts grows with the weeks and campaigns shown: off the request thread.
  const [weeklySvg, preventedSvg, savingsSvg] = await Promise.all([
    computeSized(deps.compute, 'weeklyChart', chart, smallWeeklyChart(chart)),
    measured.length > 0
      ? deps.compute(
          'preventedChart',
          measured.map((c) => ({ title: c.title, ...(c.prevented as Interval) })),
        )
      : '',
    deps.compute(
      'savingsChart',
      report.weeks.map((w) => ({ week: w.week, savings: w.savings_cents / 100 })),
    ),
  ]);
  const pair = (treated: number | null, holdout: number | null, show = formatPercent) =>
    `${show(treated)} / ${show(holdout)}`;
  const sections = html`<style>${raw(STYLE)}</style>
    <div class="report">
    <header>
      <h1>Prevented contacts</h1>
      <p class="meta">${report.from} to ${report.to} (${report.time_zone}) · cost per ticket ${formatMoney(report.cost_per_ticket_cents)}</p>
    </header>
    <main>
      ${
        warnings.length > 0
          ? html`<section class="warnings" aria-label="Warnings"><h2>Deflection that came with worse service</h2><ul>${warnings.map(
              (w) => html`<li><b>${w.title}</b>: ${w.message}</li>`,
            )}</ul></section>`
          : ''
      }
      <section class="tiles" aria-label="Totals">
        <div class="tile"><b>${formatCount(totals.prevented.estimate)}</b><span>net contacts prevented, every reason (95%: ${formatCount(totals.prevented.low)} to ${formatCount(totals.prevented.high)}), measured against holdouts</span></div>
        <div class="tile"><b>${formatCount(totals.target_prevented.estimate)}</b><span>prevented for the target reasons, of which ${formatCount(totals.shifted.estimate)} shifted to other reasons</span></div>
        <div class="tile"><b>${formatMoney(totals.savings_cents.estimate)}</b><span>saved (${formatMoney(totals.savings_cents.low)} to ${formatMoney(totals.savings_cents.high)})</span></div>
        <div class="tile"><b>${formatPercent(totals.deflection_rate)}</b><span>deflection rate</span></div>
        <div class="tile"><b>${formatCount(totals.contacts)}</b><span>contacts in the period</span></div>
        <div class="tile"><b>${formatPercent(totals.csat)}</b><span>CSAT (ratings 4–5, ${formatCount(totals.csat_responses)} rated)</span></div>
        <div class="tile"><b>${formatHours(totals.first_response_median_hours)}</b><span>median first response (p90 ${formatHours(totals.first_response_p90_hours)})</span></div>
        <div class="tile"><b>${formatPercent(totals.recontact_rate)}</b><span>re-contacts within 48 h</span></div>
        <div class="tile"><b>${formatPercent(totals.resolution_rate)}</b><span>resolved</span></div>
        <div class="tile"><b>${formatMoney(totals.cost_per_resolution_cents)}</b><span>cost per resolution</span></div>
        <div class="tile"><b>${pair(totals.churn_rate.treated, totals.churn_rate.holdout)}</b><span>churned in the window, treated / held out</span></div>
      </section>
      ${totals.prevented_observational ? html`<p class="label">Campaigns without a holdout (observational estimates, not in the totals): ${formatCount(totals.prevented_observational.estimate)} contacts (${formatCount(totals.prevented_observational.low)} to ${formatCount(totals.prevented_observational.high)}).</p>` : ''}
      <figure>${raw(weeklySvg)}<figcaption>Pins mark spikes; grey bands are events, blue bands campaign windows.</figcaption></figure>
      ${measured.length > 0 ? html`<figure>${raw(preventedSvg)}</figure>` : ''}
      <figure>${raw(savingsSvg)}</figure>

      <h2>Campaigns</h2>
      ${
        report.campaigns.length === 0
          ? html`<p>No campaign was measured in this period.</p>`
          : html`<table>
        <thead><tr><th>Campaign</th><th>Method</th><th class="n">Net prevented</th><th class="n">95% interval</th><th class="n">Target / shifted</th><th class="n">Saved</th><th class="n">Deflection</th><th class="n">CSAT treated / held out</th><th class="n">First response (median) treated / held out</th><th class="n">Re-contacts treated / held out</th><th class="n">Resolved treated / held out</th><th class="n">Churn treated / held out</th></tr></thead>
        <tbody>${report.campaigns.map(
          (c) => html`<tr>
            <td>${c.title}<br /><span class="label">${c.status}, ${c.measurement === 'final' ? 'final (fixed horizon)' : 'so far (always valid)'}</span></td>
            <td>${c.method}</td>
            <td class="n">${c.prevented ? formatCount(c.prevented.estimate, 1) : html`<span title="${c.reason ?? ''}">no estimate</span>`}</td>
            <td class="n">${c.prevented ? `${formatCount(c.prevented.low, 1)} to ${formatCount(c.prevented.high, 1)}` : (c.reason ?? '')}</td>
            <td class="n">${formatCount(c.target_prevented?.estimate, 1)} / ${formatCount(c.shifted?.estimate, 1)}</td>
            <td class="n">${formatMoney(c.savings_cents?.estimate)}</td>
            <td class="n">${formatPercent(c.deflection_rate)}</td>
            <td class="n">${pair(c.treated.csat, c.holdout.csat)}</td>
            <td class="n">${pair(c.treated.first_response_median_hours, c.holdout.first_response_median_hours, formatHours)}</td>
            <td class="n">${pair(c.treated.recontact_rate, c.holdout.recontact_rate)}</td>
            <td class="n">${pair(c.treated.resolution_rate, c.holdout.resolution_rate)}</td>
            <td class="n">${pair(c.treated.churn_rate, c.holdout.churn_rate)}</td>
          </tr>`,
        )}</tbody></table>`
      }

      <h2>Reasons</h2>
      <table>
        <thead><tr><th>Reason</th><th class="n">Contacts</th><th class="n">Re-contacts</th><th class="n">Resolved</th><th class="n">CSAT</th><th class="n">First response (median)</th><th class="n">Prevented</th></tr></thead>
        <tbody>${report.reasons.map(
          (r) =>
            html`<tr><td>${r.label}</td><td class="n">${formatCount(r.contacts)}</td><td class="n">${formatPercent(r.recontact_rate)}</td><td class="n">${formatPercent(r.resolution_rate)}</td><td class="n">${formatPercent(r.csat)}</td><td class="n">${formatHours(r.first_response_median_hours)}</td><td class="n">${formatCount(r.prevented, 1)}</td></tr>`,
        )}</tbody>
      </table>

      <h2>Weeks</h2>
      <table>
        <thead><tr><th>Week of</th><th class="n">Contacts</th><th class="n">Re-contacts</th><th class="n">Resolved</th><th class="n">CSAT</th><th class="n">First response median / p90</th><th class="n">Prevented</th><th class="n">Saved</th></tr></thead>
        <tbody>${report.weeks.map(
          (w) =>
            html`<tr><td>${w.week}</td><td class="n">${formatCount(w.contacts)}</td><td class="n">${formatPercent(w.recontact_rate)}</td><td class="n">${formatPercent(w.resolution_rate)}</td><td class="n">${formatPercent(w.csat)}</td><td class="n">${formatHours(w.first_response_median_hours)} / ${formatHours(w.first_response_p90_hours)}</td><td class="n">${formatCount(w.prevented, 1)}</td><td class="n">${formatMoney(w.savings_cents)}</td></tr>`,
        )}</tbody>
      </table>
      <p class="meta">Prevented contacts compare each campaign's exposed accounts with its held-out accounts over the campaign's measurement window (to ${deps.config.impactWindowDays} days after it ends), each account adjusted by its own contacts in the 8 weeks before; net counts every reason, so contacts that only moved to another reason (shifted) are not savings. Intervals read while a window runs stay valid however often they are read; once it closes they are fixed-horizon. Per reason and per week the figures are unadjusted point estimates over every reason; a negative one is a reason that received contacts. Deflection rate = net prevented / (treated accounts' contacts + net prevented), over the same accounts and windows. CSAT = share of ratings 4 or 5.</p>
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
