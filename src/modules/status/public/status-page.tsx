import type { Child } from 'hono/jsx';
import type { Config } from '../../../config';
import type { ComponentStatus } from '../../../db/schema';
import { SanitizedHtml } from '../../../view-kit/components';
import { Document, renderToString } from '../../../view-kit/document';
import { LOCAL_TIMES_PATH } from '../../../view-kit/local-times';
import { renderMarkdown } from '../../campaigns/markdown';
import type { ComponentUptime, UptimeHistory } from '../status-schemas';
import { NEVER_UPDATED, type PublicStatus, type StatuspageIncident } from './public-status.service';

export const STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

type Component = PublicStatus['components'][number];

type Brand = Config['statusPageBrand'];

const ComponentRow = (props: {
  component: Component;
  member?: boolean;
  uptime?: ComponentUptime;
}) => (
  <li class={props.member ? 'member' : undefined}>
    <div class="component-line">
      <span>{props.component.name}</span>
      <span class={`s-${props.component.status}`}>{STATUS_LABEL[props.component.status]}</span>
    </div>
    {props.uptime ? <UptimeBars uptime={props.uptime} /> : ''}
  </li>
);

type UptimeDay = ComponentUptime['days'][number];

const names = (items: { name: string }[]) => items.map((item) => item.name).join('; ');

/** What a day's bar says, as its tooltip and as text for screen readers. */
const dayLabel = (day: UptimeDay) => {
  if (!day.status) return `${day.date}: no data`;
  const state =
    day.status === 'under_maintenance'
      ? 'Under maintenance (not downtime)'
      : STATUS_LABEL[day.status];
  const touched = [
    ...(day.incidents.length > 0 ? [names(day.incidents)] : []),
    ...(day.maintenance.length > 0 ? [`Maintenance: ${names(day.maintenance)}`] : []),
  ];
  return `${day.date}: ${state}${touched.length > 0 ? ` (${touched.join('; ')})` : ''}`;
};

/**
 * The uptime figure with the period it covers: the days shown, or the days since the component
 * was created when that is later, and none before a full day is observed.
 */
const uptimeSummary = (uptime: ComponentUptime) => {
  if (uptime.observed_minutes === 0) return 'no data yet';
  if (uptime.uptime_percent === null) {
    return `new since ${uptime.since}; uptime shown after a full day`;
  }
  return uptime.since === uptime.days[0]?.date
    ? `${uptime.uptime_percent}% uptime over ${uptime.days.length} days`
    : `${uptime.uptime_percent}% uptime since ${uptime.since}`;
};

/** Ninety days, one bar each, coloured by the day's worst status; maintenance is striped. */
const UptimeBars = ({ uptime }: { uptime: ComponentUptime }) => {
  const share = uptimeSummary(uptime);
  const maintained = uptime.days.filter((day) => day.maintenance.length > 0).length;
  const maintenance =
    maintained > 0
      ? `, maintenance on ${maintained} ${maintained === 1 ? 'day' : 'days'} (not downtime)`
      : '';
  return (
    <figure class="uptime" aria-label={`${uptime.name}: ${share}${maintenance}`}>
      <ol>
        {uptime.days.map((day) => (
          <li class={`d-${day.status ?? 'none'}`} title={dayLabel(day)}>
            <span class="visually-hidden">{dayLabel(day)}</span>
          </li>
        ))}
      </ol>
      <figcaption>
        <span>{uptime.days.length} days ago</span>
        <span>
          {share}
          {maintenance}
        </span>
        <span>Today</span>
      </figcaption>
    </figure>
  );
};

/** UTC in the markup; the page's script shows it in the reader's own zone. */
const When = ({ at }: { at?: string | null }) =>
  at ? <time datetime={at}>{`${at.slice(0, 10)} ${at.slice(11, 16)} UTC`}</time> : '';

const Masthead = ({ name, brand }: { name: string; brand: Brand }) => (
  <header>
    <a href="/status" class="masthead">
      {brand.logoUrl ? <img src={brand.logoUrl} alt="" height="40" /> : ''}
      <h1>{name}</h1>
    </a>
  </header>
);

const statusHead = (extra?: Child) => (
  <>
    <link
      rel="alternate"
      type="application/atom+xml"
      title="Incident history (Atom)"
      href="/status/history.atom"
    />
    <link
      rel="alternate"
      type="application/rss+xml"
      title="Incident history (RSS)"
      href="/status/history.rss"
    />
    <script src={LOCAL_TIMES_PATH} defer />
    {extra}
  </>
);

const IncidentArticle = ({ incident }: { incident: StatuspageIncident }) => (
  <article id={`incident-${incident.id}`} aria-labelledby={`title-${incident.id}`}>
    <h3 id={`title-${incident.id}`}>
      <a href={incident.shortlink}>{incident.name}</a>
    </h3>
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
    <a href="/api/v2/summary.json">JSON</a> · <a href="/status/history.atom">Atom</a> ·{' '}
    <a href="/status/history.rss">RSS</a>
  </>
);

const SubscribeForm = () => (
  <form method="post" action="/status/subscribe" class="subscribe">
    <label for="subscribe-email">Get an email for every update</label>
    <input id="subscribe-email" type="email" name="email" required autocomplete="email" />
    <button type="submit">Subscribe</button>
  </form>
);

type StatusPageProps = {
  status: PublicStatus;
  uptime: UptimeHistory;
  brand: Brand;
  flash?: string;
};

const StatusPage = ({ status, uptime, brand, flash }: StatusPageProps) => {
  const uptimeOf = new Map(uptime.components.map((c) => [c.id, c]));
  const topLevel = status.components.filter((c) => !c.group_id);
  const shown = (c: { status: ComponentStatus; only_show_if_degraded: boolean }) =>
    !c.only_show_if_degraded || c.status !== 'operational';
  return (
    <Document
      title={status.page.name}
      layout="status-page"
      head={statusHead(<meta http-equiv="refresh" content="60" />)}
      accent={brand.accent}
    >
      <Masthead name={status.page.name} brand={brand} />
      <main>
        {flash ? (
          <p class="flash ok" role="status">
            {flash}
          </p>
        ) : (
          ''
        )}
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
                <ComponentRow component={c} uptime={uptimeOf.get(c.id)} />
                {status.components
                  .filter((m) => m.group_id === c.id && shown(m))
                  .map((m) => (
                    <ComponentRow component={m} member uptime={uptimeOf.get(m.id)} />
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
        <SubscribeForm />
        <p>
          {status.page.updated_at === NEVER_UPDATED ? (
            ''
          ) : (
            <>
              Updated <When at={status.page.updated_at} />.{' '}
            </>
          )}
          <FeedLinks />
        </p>
      </footer>
    </Document>
  );
};

/** The public status page: plain HTML, readable without JavaScript, refreshing itself. */
export const renderStatusPage = (props: StatusPageProps) =>
  renderToString(<StatusPage {...props} />);

/** An incident's own page, where its `shortlink` points. */
export const renderIncidentPage = (props: {
  pageName: string;
  brand: Brand;
  incident: StatuspageIncident;
}) =>
  renderToString(
    <Document
      title={`${props.incident.name} · ${props.pageName}`}
      layout="status-page"
      head={statusHead()}
      accent={props.brand.accent}
    >
      <Masthead name={props.pageName} brand={props.brand} />
      <main>
        <IncidentArticle incident={props.incident} />
        {props.incident.components.length > 0 ? (
          <p class="meta">Affected: {props.incident.components.map((c) => c.name).join(', ')}</p>
        ) : (
          ''
        )}
        <p>
          <a href="/status">Current status</a>
        </p>
      </main>
    </Document>,
  );

/** A short page of the status site: subscription answers and links that do not work. */
export const renderStatusNotice = (props: {
  pageName: string;
  brand: Brand;
  title: string;
  children?: Child;
}) =>
  renderToString(
    <Document
      title={`${props.title} · ${props.pageName}`}
      layout="status-page"
      head={<meta name="robots" content="noindex" />}
      accent={props.brand.accent}
    >
      <Masthead name={props.pageName} brand={props.brand} />
      <main>
        <h2>{props.title}</h2>
        {props.children}
        <p>
          <a href="/status">Back to the status page</a>
        </p>
      </main>
    </Document>,
  );
