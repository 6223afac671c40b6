import { renderMarkdown } from '../../campaigns/markdown';
import type { PublicStatus, StatuspageIncident } from './public-status.service';

/**
 * XML 1.0 has no escape for most control characters, nor for U+FFFE and U+FFFF (which
 * incident text may hold): they are dropped, as one of them would make the whole feed unreadable.
 */
const escapeXml = (text: string) =>
  text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const newestFirst = (status: PublicStatus) =>
  [...status.incidents, ...status.scheduledMaintenances].sort((a, b) =>
    b.updated_at.localeCompare(a.updated_at),
  );

/** Every update of an incident, newest first, as the HTML a feed reader shows. */
const updatesHtml = (incident: StatuspageIncident) =>
  incident.incident_updates
    .map(
      (u) =>
        `<p><strong>${escapeXml(u.status)}</strong> (${u.display_at})</p>${renderMarkdown(u.body)}`,
    )
    .join('');

/** An Atom feed of incidents and maintenance, newest first. */
export function renderHistoryFeed(status: PublicStatus): string {
  const base = status.page.url;
  const entries = newestFirst(status).map(
    (incident) => `  <entry>
    <id>urn:uuid:${incident.id}</id>
    <title>${escapeXml(incident.name)}</title>
    <updated>${incident.updated_at}</updated>
    <published>${incident.created_at}</published>
    <link rel="alternate" type="text/html" href="${escapeXml(incident.shortlink)}"/>
    <content type="html">${escapeXml(updatesHtml(incident))}</content>
  </entry>`,
  );
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

const rfc822 = (iso: string) => new Date(iso).toUTCString();

/** The same history as RSS 2.0, for readers and chat integrations that only take RSS. */
export function renderHistoryRss(status: PublicStatus): string {
  const base = status.page.url;
  const items = newestFirst(status).map(
    (incident) => `    <item>
      <title>${escapeXml(incident.name)}</title>
      <link>${escapeXml(incident.shortlink)}</link>
      <guid isPermaLink="false">urn:uuid:${incident.id}</guid>
      <pubDate>${rfc822(incident.updated_at)}</pubDate>
      <description>${escapeXml(updatesHtml(incident))}</description>
    </item>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>${escapeXml(`${status.page.name} incident history`)}</title>
    <link>${escapeXml(base)}</link>
    <description>${escapeXml(`Incidents and maintenance on ${status.page.name}`)}</description>
    <lastBuildDate>${rfc822(status.page.updated_at)}</lastBuildDate>
    <atom:link href="${escapeXml(`${base}/history.rss`)}" rel="self" type="application/rss+xml"/>
${items.join('\n')}
  </channel>
</rss>
`;
}
