import { html } from 'hono/html';
import { listCampaigns } from '../modules/campaigns/campaigns.service';
import { campaignsWithQueuedEmails } from '../modules/email/deliveries.service';
import { listOccurrences } from '../modules/events/events.service';
import { findPatterns } from '../modules/patterns/patterns.service';
import { listSpikeAlerts } from '../modules/spikes/spike-alerts.service';
import { publicStatus } from '../modules/status/public-status.service';
import { campaignShortcut } from './campaign-form';
import { createConsoleRouter, render, signedIn } from './console-router';

const DAY_MS = 86_400_000;
const empty = (text: string) => html`<p class="empty">${text}</p>`;

export const overviewRoutes = createConsoleRouter();

overviewRoutes.get('/console', signedIn(['ops', 'analyst']), async (c) => {
  const { deps } = c.var;
  const now = deps.clock.now();
  const [active, status, occurrences, queued, spikes, patterns] = await Promise.all([
    listCampaigns(deps, { limit: 20, status: 'active' }).then((page) => page.data),
    publicStatus(deps),
    listOccurrences(deps, { from: now, to: new Date(now.getTime() + 30 * DAY_MS) }),
    campaignsWithQueuedEmails(deps, 10),
    listSpikeAlerts(deps, { limit: 8 }).then((page) => page.data),
    findPatterns(deps, { weeks: 52 }).then((found) => found.patterns),
  ]);
  const incidents = status.unresolved;
  return render(
    c,
    'Overview',
    html`<h1>Overview</h1>
    <div class="grid">
      <section class="card" aria-labelledby="active-h"><h2 id="active-h">Active notices</h2>
        ${active.length === 0 ? empty('No banner or status message is showing.') : html`<ul>${active.map((a) => html`<li><a href="/console/campaigns/${a.id}">${a.title}</a> <span class="pill">${a.severity}</span> <span class="pill">${a.channels.join(', ')}</span></li>`)}</ul>`}
      </section>
      <section class="card" aria-labelledby="incidents-h"><h2 id="incidents-h">Open incidents</h2>
        ${incidents.length === 0 ? empty('No open incident.') : html`<ul>${incidents.map((i) => html`<li><a href="/console/status">${i.name}</a> <span class="pill">${i.status}</span> <span class="pill">${i.impact}</span></li>`)}</ul>`}
      </section>
      <section class="card" aria-labelledby="events-h"><h2 id="events-h">Upcoming events (30 days)</h2>
        ${occurrences.length === 0 ? empty('Nothing on the calendar.') : html`<ul>${occurrences.slice(0, 10).map((o) => html`<li>${o.starts_at.slice(0, 16).replace('T', ' ')} UTC — ${o.title} <span class="pill">${o.kind}</span></li>`)}</ul>`}
      </section>
      <section class="card" aria-labelledby="emails-h"><h2 id="emails-h">Scheduled emails</h2>
        ${queued.length === 0 ? empty('No email is waiting to go out.') : html`<ul>${queued.map((q) => html`<li><a href="/console/campaigns/${q.id}">${q.title}</a>: ${q.queued} queued, first at ${q.nextAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</li>`)}</ul>`}
      </section>
      <section class="card" aria-labelledby="spikes-h"><h2 id="spikes-h">Latest spikes</h2>
        ${spikes.length === 0 ? empty('No spike detected yet (detection runs on Mondays).') : html`<ul>${spikes.map((s) => html`<li>Week of ${s.week}: ${s.label}, ${s.observed} contacts (expected ${Math.round(s.expected)}) <span class="pill">${s.severity}</span></li>`)}</ul>`}
      </section>
      <section class="card" aria-labelledby="patterns-h"><h2 id="patterns-h">Preventable patterns</h2>
        ${patterns.length === 0 ? empty('No recurring pattern found in the last year.') : html`<ul>${patterns.slice(0, 5).map((p) => html`<li>${p.label} around ${p.group.title}: ${p.occurrences_with_excess} of ${p.occurrences_seen} occurrences spiked; about ${Math.round(p.expected_contacts_next)} contacts expected next time. <a href="${campaignShortcut(p)}">Create a campaign</a></li>`)}</ul>`}
      </section>
    </div>`,
  );
});
