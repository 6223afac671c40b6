import type { ComponentStatus } from '../../db/schema';
import { SanitizedHtml } from '../../ui/kit/components';
import { Document, renderToString } from '../../ui/kit/document';
import { renderMarkdown } from '../campaigns/markdown';
import type { PublicStatus, StatuspageIncident } from './public-status.service';

export const STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

type Component = PublicStatus['components'][number];

const ComponentRow = (props: { component: Component; member?: boolean }) => (
  <li class={props.member ? 'member' : undefined}>
    <span>{props.component.name}</span>
    <span class={`s-${props.component.status}`}>{STATUS_LABEL[props.component.status]}</span>
  </li>
);

const When = ({ at }: { at?: string | null }) => <time datetime={at ?? undefined}>{at}</time>;

const IncidentArticle = ({ incident }: { incident: StatuspageIncident }) => (
  <article id={`incident-${incident.id}`} aria-labelledby={`title-${incident.id}`}>
    <h3 id={`title-${incident.id}`}>{incident.name}</h3>
    {incident.scheduled_for ? (
      <p class="meta">
        Scheduled <When at={incident.scheduled_for} /> to <When at={incident.scheduled_until} />
      </p>
    ) : (
      ''
    )}
    {incident.incident_updates.map((update) => (
      <div>
        <p>
          <strong>{update.status.replace('_', ' ')}</strong> · <When at={update.display_at} />
        </p>
        <SanitizedHtml html={renderMarkdown(update.body)} />
      </div>
    ))}
  </article>
);

const Section = (props: { title: string; items: StatuspageIncident[]; empty?: string }) => {
  if (props.items.length === 0) {
    return props.empty ? (
      <>
        <h2>{props.title}</h2>
        <p>{props.empty}</p>
      </>
    ) : (
      ''
    );
  }
  return (
    <>
      <h2>{props.title}</h2>
      {props.items.map((incident) => (
        <IncidentArticle incident={incident} />
      ))}
    </>
  );
};

const FeedLinks = () => (
  <>
    <a href="/api/v2/summary.json">JSON</a> · <a href="/status/history.atom">Atom feed</a>
  </>
);

const StatusPage = ({ status }: { status: PublicStatus }) => {
  const topLevel = status.components.filter((c) => !c.group_id);
  const shown = (c: { status: ComponentStatus; only_show_if_degraded: boolean }) =>
    !c.only_show_if_degraded || c.status !== 'operational';
  const head = (
    <>
      <meta http-equiv="refresh" content="60" />
      <link
        rel="alternate"
        type="application/atom+xml"
        title="Incident history"
        href="/status/history.atom"
      />
    </>
  );
  return (
    <Document title={status.page.name} layout="status-page" head={head}>
      <header>
        <h1>{status.page.name}</h1>
      </header>
      <main>
        <p class={`indicator ${status.status.indicator}`} role="status">
          {status.status.description}
        </p>
        <Section title="Ongoing incidents" items={status.unresolved} />
        <Section title="Maintenance in progress" items={status.active} />
        <h2>Components</h2>
        {topLevel.length === 0 ? (
          <p>No components are listed yet.</p>
        ) : (
          <ul class="components">
            {topLevel.filter(shown).map((c) => (
              <>
                <ComponentRow component={c} />
                {status.components
                  .filter((m) => m.group_id === c.id && shown(m))
                  .map((m) => (
                    <ComponentRow component={m} member />
                  ))}
              </>
            ))}
          </ul>
        )}
        <Section title="Upcoming maintenance" items={status.upcoming} />
        <Section
          title="Past incidents"
          items={status.incidents.filter((i) => i.status === 'resolved')}
          empty="No incidents reported."
        />
      </main>
      <footer class="meta">
        <p>
          Updated <When at={status.page.updated_at} />. <FeedLinks />
        </p>
      </footer>
    </Document>
  );
};

/** The public status page: plain HTML, readable without JavaScript, refreshing itself. */
export const renderStatusPage = (status: PublicStatus) =>
  renderToString(<StatusPage status={status} />);

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An Atom feed of incidents and maintenance, newest first. */
export function renderHistoryFeed(status: PublicStatus): string {
  const base = status.page.url;
  const entries = [...status.incidents, ...status.scheduledMaintenances]
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
    .map((incident) => {
      const content = incident.incident_updates
        .map((u) => {
          const heading = `<p><strong>${escapeXml(u.status)}</strong> (${u.display_at})</p>`;
          return `${heading}${renderMarkdown(u.body)}`;
        })
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
