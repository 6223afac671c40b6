import { html, raw } from 'hono/html';
import type { ComponentStatus } from '../../db/schema';
import { renderMarkdown } from '../campaigns/markdown';
import type { PublicStatus, StatuspageIncident } from './public-status.service';

export const STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, sans-serif; color: #1d2430; }
  body { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
  .banner { padding: 1rem 1.25rem; border-radius: .5rem; font-weight: 600; color: #fff; }
  .none { background: #1e7a46; } .minor { background: #8a5a00; }
  .major { background: #b3470b; } .critical { background: #b01f24; }
  ul.components { list-style: none; padding: 0; border: 1px solid #d5dae1; border-radius: .5rem; }
  ul.components li { display: flex; justify-content: space-between; padding: .6rem 1rem;
    border-top: 1px solid #d5dae1; } ul.components li:first-child { border-top: 0; }
  .member { padding-left: 2rem !important; }
  .s-operational { color: #1e7a46; } .s-degraded_performance { color: #8a5a00; }
  .s-partial_outage { color: #b3470b; } .s-major_outage { color: #b01f24; }
  .s-under_maintenance { color: #1f5fa8; }
  article { border-left: 4px solid #d5dae1; padding-left: 1rem; margin: 1rem 0; }
  time, .meta { color: #4a5566; font-size: .9rem; }
`;

/** The public status page: plain HTML, readable without JavaScript, refreshing itself. */
export function renderStatusPage(status: PublicStatus) {
  const topLevel = status.components.filter((c) => !c.group_id);
  const shown = (c: { status: ComponentStatus; only_show_if_degraded: boolean }) =>
    !c.only_show_if_degraded || c.status !== 'operational';
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta http-equiv="refresh" content="60" />
    <title>${status.page.name}</title>
    <link rel="alternate" type="application/atom+xml" title="Incident history" href="/status/history.atom" />
    <style>${raw(STYLE)}</style>
  </head>
  <body>
    <header><h1>${status.page.name}</h1></header>
    <main>
      <p class="banner ${status.status.indicator}" role="status">${status.status.description}</p>
      ${section('Ongoing incidents', status.unresolved)}
      ${section('Maintenance in progress', status.active)}
      <h2>Components</h2>
      ${
        topLevel.length === 0
          ? html`<p>No components are listed yet.</p>`
          : html`<ul class="components">
              ${topLevel.filter(shown).map(
                (
                  c,
                ) => html`<li><span>${c.name}</span><span class="s-${c.status}">${STATUS_LABEL[c.status]}</span></li>
                  ${status.components
                    .filter((m) => m.group_id === c.id && shown(m))
                    .map(
                      (m) =>
                        html`<li class="member"><span>${m.name}</span><span class="s-${m.status}">${STATUS_LABEL[m.status]}</span></li>`,
                    )}`,
              )}
            </ul>`
      }
      ${section('Upcoming maintenance', status.upcoming)}
      ${section(
        'Past incidents',
        status.incidents.filter((i) => i.status === 'resolved'),
        'No incidents reported.',
      )}
    </main>
    <footer class="meta"><p>Updated <time datetime="${status.page.updated_at}">${status.page.updated_at}</time>. <a href="/api/v2/summary.json">JSON</a> · <a href="/status/history.atom">Atom feed</a></p></footer>
  </body>
</html>`;
}

function section(title: string, items: StatuspageIncident[], empty?: string) {
  if (items.length === 0) return empty ? html`<h2>${title}</h2><p>${empty}</p>` : '';
  return html`<h2>${title}</h2>${items.map(
    (incident) => html`<article id="incident-${incident.id}" aria-labelledby="title-${incident.id}">
      <h3 id="title-${incident.id}">${incident.name}</h3>
      ${
        incident.scheduled_for
          ? html`<p class="meta">Scheduled <time datetime="${incident.scheduled_for}">${incident.scheduled_for}</time> to <time datetime="${incident.scheduled_until}">${incident.scheduled_until}</time></p>`
          : ''
      }
      ${incident.incident_updates.map(
        (update) =>
          html`<div><p><strong>${update.status.replace('_', ' ')}</strong> · <time datetime="${update.display_at}">${update.display_at}</time></p>${raw(renderMarkdown(update.body))}</div>`,
      )}
    </article>`,
  )}`;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An Atom feed of incidents and maintenance, newest first. */
export function renderHistoryFeed(status: PublicStatus): string {
  const base = status.page.url;
  const entries = [...status.incidents, ...status.scheduledMaintenances]
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
    .map((incident) => {
      const content = incident.incident_updates
        .map(
          (u) =>
            `<p><strong>${escapeXml(u.status)}</strong> (${u.display_at})</p>${renderMarkdown(u.body)}`,
        )
        .join('');
      return `  <entry>
    <id>urn:uuid:${incident.id}</id>
    <title>${escapeXml(incident.name)}</title>
    <updated>${incident.updated_at}</updated>
    <published>${incident.created_at}</published>
    <link rel="alternate" type="text/html" href="${escapeXml(`${base}#incident-${incident.id}`)}"/>
    <content type="html">${escapeXml(content)}</content>
  </entry>`;
    });
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${escapeXml(`${base}/history.atom`)}</id>
  <title>${escapeXml(`${status.page.name} incident history`)}</title>
  <updated>${status.page.updated_at}</updated>
  <author><name>${escapeXml(status.page.name)}</name></author>
  <link rel="self" type="application/atom+xml" href="${escapeXml(`${base}/history.atom`)}"/>
  <link rel="alternate" type="text/html" href="${escapeXml(base)}"/>
${entries.join('\n')}
</feed>
`;
}
