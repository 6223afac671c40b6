import { html, raw } from 'hono/html';
import { EVENT_KINDS } from '../db/schema';
import { EventInputSchema } from '../modules/events/events.routes';
import { createEvent, listOccurrences } from '../modules/events/events.service';
import { importHolidays } from '../modules/events/holidays.service';
import { findPatterns } from '../modules/patterns/patterns.service';
import { smallWeeklyChart } from '../modules/reports/report-charts';
import { weeklyChartInput } from '../modules/reports/weekly-chart-input';
import { computeSized } from '../threads/compute';
import { campaignShortcut } from './campaign-form';
import {
  type ConsoleContext,
  createConsoleRouter,
  done,
  fieldMessages,
  postedForm,
  render,
  signedIn,
} from './console-router';
import {
  emptyForm,
  type FormState,
  issuesByField,
  selectField,
  textField,
  utcInstant,
} from './form-fields';

import { csrfField } from './layout';

export const reasonRoutes = createConsoleRouter();
const DAY_MS = 86_400_000;

async function reasonsPage(
  c: ConsoleContext,
  forms: { event?: FormState; holidays?: FormState } = {},
  options: { status?: 200 | 400; summary?: string } = {},
) {
  const { deps, session } = c.var;
  const now = deps.clock.now();
  const reason = c.req.query('reason') || undefined;
  const [{ weekly, chart }, upcoming, patterns] = await Promise.all([
    weeklyChartInput(deps, {
      top: 6,
      reasons: reason ? [reason] : undefined,
      from: c.req.query('from') || undefined,
    }),
    listOccurrences(deps, { from: now, to: new Date(now.getTime() + 90 * DAY_MS) }),
    findPatterns(deps, { weeks: 52 }).then((found) => found.patterns),
  ]);
  const chartSvg =
    weekly.series.length === 0
      ? ''
      : await computeSized(deps.compute, 'weeklyChart', chart, smallWeeklyChart(chart));
  const labels = new Map(weekly.series.map((s) => [s.reason, s.label]));
  const eventForm = { ...(forms.event ?? emptyForm({ kind: 'billing_run' })), idPrefix: 'event-' };
  const holidayForm = {
    ...(forms.holidays ?? emptyForm({ year: String(now.getUTCFullYear() + 1) })),
    idPrefix: 'holiday-',
  };
  return render(
    c,
    'Contact reasons',
    html`<h1>Contact reasons</h1>
    <section class="card" aria-labelledby="chart-h"><h2 id="chart-h">${reason ? `Weekly contacts: ${labels.get(reason) ?? reason}` : 'Top reasons by week'}</h2>
      ${weekly.series.length === 0 ? html`<p class="empty">No tickets yet. Import them with <code>npm run import</code> or POST /v1/tickets.</p>` : html`<figure>${raw(chartSvg)}<figcaption>Pins mark spikes; grey bands are events. Reasons: ${weekly.series.map((s) => html`<a href="/console/reasons?reason=${s.reason}">${s.label}</a> `)}${reason ? html` · <a href="/console/reasons">top reasons</a>` : ''}</figcaption></figure>`}
    </section>
    <section class="card" aria-labelledby="patterns-h"><h2 id="patterns-h">Preventable patterns</h2>
      ${
        patterns.length === 0
          ? html`<p class="empty">No reason spikes again and again around the same kind of event yet.</p>`
          : html`<table><thead><tr><th>Reason</th><th>Around</th><th>Spiked</th><th>Expected next</th><th></th></tr></thead><tbody>
        ${patterns.map((p) => html`<tr><td>${p.label}</td><td>${p.group.title}</td><td>${p.occurrences_with_excess} of ${p.occurrences_seen}</td><td>${Math.round(p.expected_contacts_next)}${p.next_occurrence ? ` (${p.next_occurrence.starts_at.slice(0, 10)})` : ''}</td><td><a href="${campaignShortcut(p)}">Create campaign</a></td></tr>`)}
      </tbody></table>`
      }
    </section>
    <div class="grid">
      <section class="card" aria-labelledby="calendar-h"><h2 id="calendar-h">Next 90 days</h2>
        ${upcoming.length === 0 ? html`<p class="empty">Nothing on the calendar.</p>` : html`<ul>${upcoming.slice(0, 30).map((o) => html`<li>${o.starts_at.slice(0, 10)} ${o.title} <span class="pill">${o.kind}</span></li>`)}</ul>`}
      </section>
      <section class="card" aria-labelledby="event-h"><h2 id="event-h">Add an event</h2>
        <form method="post" action="/console/reasons/events" novalidate>${csrfField(session)}
          ${selectField(eventForm, 'kind', 'Kind', EVENT_KINDS)}
          ${textField(eventForm, 'title', 'Title', { required: true })}
          ${textField(eventForm, 'starts_at', 'Starts (UTC)', { type: 'datetime-local' })}
          ${textField(eventForm, 'ends_at', 'Ends (UTC)', { type: 'datetime-local' })}
          ${textField(eventForm, 'rrule', 'Repeats', { hint: 'RFC 5545 rule, e.g. FREQ=MONTHLY;BYMONTHDAY=1', placeholder: 'FREQ=MONTHLY;BYMONTHDAY=1' })}
          <button type="submit">Add event</button>
        </form>
      </section>
      <section class="card" aria-labelledby="holidays-h"><h2 id="holidays-h">Import public holidays</h2>
        <form method="post" action="/console/reasons/holidays" novalidate>${csrfField(session)}
          ${textField(holidayForm, 'country', 'Country', { required: true, placeholder: 'DE', hint: 'two-letter code' })}
          ${textField(holidayForm, 'year', 'Year', { type: 'number' })}
          <button type="submit">Import</button>
        </form>
      </section>
    </div>`,
    {
      status: options.status,
      flash: options.summary ? { ok: false, text: options.summary } : undefined,
    },
  );
}

reasonRoutes.get('/console/reasons', signedIn(['ops', 'analyst']), (c) => reasonsPage(c));

reasonRoutes.post('/console/reasons/events', signedIn(['ops']), async (c) => {
  const values = await postedForm(c);
  const parsed = EventInputSchema.safeParse({
    kind: values.kind,
    title: values.title,
    starts_at: utcInstant(values.starts_at) ?? '',
    ends_at: utcInstant(values.ends_at) ?? '',
    rrule: values.rrule || null,
  });
  if (!parsed.success) {
    return reasonsPage(
      c,
      { event: { values, errors: issuesByField(parsed.error.issues) } },
      { status: 400, summary: 'The event was not added.' },
    );
  }
  try {
    await createEvent(c.var.deps, parsed.data);
  } catch (error) {
    const { errors, summary } = fieldMessages(error);
    return reasonsPage(c, { event: { values, errors } }, { status: 400, summary });
  }
  return done(c, '/console/reasons', `Added "${parsed.data.title}".`);
});

reasonRoutes.post('/console/reasons/holidays', signedIn(['ops']), async (c) => {
  const values = await postedForm(c);
  const year = Number(values.year);
  const country = (values.country ?? '').trim();
  const errors: Record<string, string> = {};
  if (!/^[A-Za-z]{2}$/.test(country))
    errors.country = 'Enter a two-letter country code such as DE or US.';
  if (!Number.isInteger(year) || year < 2000 || year > 2100)
    errors.year = 'Enter a year between 2000 and 2100.';
  if (Object.keys(errors).length > 0)
    return reasonsPage(
      c,
      { holidays: { values, errors } },
      { status: 400, summary: 'Nothing was imported.' },
    );
  try {
    const result = await importHolidays(c.var.deps, { country, years: [year] });
    return done(
      c,
      '/console/reasons',
      `Imported ${result.imported} holidays (${result.updated} updated).`,
    );
  } catch (error) {
    const { errors: problems, summary } = fieldMessages(error);
    return reasonsPage(c, { holidays: { values, errors: problems } }, { status: 400, summary });
  }
});
