import type { Child } from 'hono/jsx';
import { listCampaigns } from '../modules/campaigns/campaigns.service';
import { campaignsWithQueuedEmails } from '../modules/email/delivery/deliveries.service';
import { listOccurrences } from '../modules/events/events.service';
import { findPatterns } from '../modules/patterns/patterns.service';
import { findSpikes } from '../modules/spikes/spikes.service';
import { publicStatus } from '../modules/status/public/public-status.service';
import { Card, EmptyState, Instant, PageHeader, Pill } from '../view-kit/components';
import { campaignShortcut } from './campaign-form';
import { createConsoleRouter, render, signedIn } from './console-router';
import { AreaLink, PAGE_ROLES } from './layout';
import { expectedContacts, SpikeChance } from './spike-figures';

const DAY_MS = 86_400_000;

/** A card listing `items`, or saying what an empty list means. */
function ListCard<Item>(props: {
  id: string;
  title: string;
  items: readonly Item[];
  empty: Child;
  item: (item: Item) => Child;
}) {
  return (
    <Card id={props.id} title={props.title}>
      {props.items.length === 0 ? (
        <EmptyState>{props.empty}</EmptyState>
      ) : (
        <ul>
          {props.items.map((item) => (
            <li>{props.item(item)}</li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export const overviewRoutes = createConsoleRouter();

overviewRoutes.get('/console', signedIn(PAGE_ROLES.overview), async (c) => {
  const { deps, session } = c.var;
  const now = deps.clock.now();
  const [active, status, occurrences, queued, spikes, patterns] = await Promise.all([
    // Email-only campaigns show nothing in the product; their emails have a card of their own.
    listCampaigns(deps, { limit: 20, status: 'active', channels: ['banner', 'status'] }).then(
      (page) => page.data,
    ),
    publicStatus(deps),
    listOccurrences(deps, { from: now, to: new Date(now.getTime() + 30 * DAY_MS) }),
    campaignsWithQueuedEmails(deps, 10),
    // Stored verdicts, not the Monday job's alerts: an imported history has spikes and no alerts.
    findSpikes(deps, {}),
    findPatterns(deps, { weeks: 52 }).then((found) => found.patterns),
  ]);
  return render(
    c,
    'Overview',
    <>
      <PageHeader title="Overview" />
      <div class="grid">
        <ListCard
          id="active"
          title="Active notices"
          items={active}
          empty="No banner or status message is showing."
          item={(a) => (
            <>
              <AreaLink session={session} area="campaigns" href={`/console/campaigns/${a.id}`}>
                <bdi>{a.title}</bdi>
              </AreaLink>{' '}
              <Pill>{a.severity}</Pill> <Pill>{a.channels.join(', ')}</Pill>
            </>
          )}
        />
        <ListCard
          id="incidents"
          title="Open incidents"
          items={status.unresolved}
          empty="No open incident."
          item={(i) => (
            <>
              <AreaLink session={session} area="status" href="/console/status">
                <bdi>{i.name}</bdi>
              </AreaLink>{' '}
              <Pill>{i.status}</Pill> <Pill>{i.impact}</Pill>
            </>
          )}
        />
        <ListCard
          id="events"
          title="Upcoming events (30 days)"
          items={occurrences.slice(0, 10)}
          empty="Nothing on the calendar."
          item={(o) => (
            <>
              <Instant at={o.starts_at} /> — <bdi>{o.title}</bdi> <Pill>{o.kind}</Pill>
            </>
          )}
        />
        <ListCard
          id="emails"
          title="Scheduled emails"
          items={queued}
          empty="No email is waiting to go out."
          item={(q) => (
            <>
              <AreaLink session={session} area="campaigns" href={`/console/campaigns/${q.id}`}>
                <bdi>{q.title}</bdi>
              </AreaLink>
              : {q.queued} queued, first at <Instant at={q.nextAt.toISOString()} />
            </>
          )}
        />
        <ListCard
          id="spikes"
          title="Latest spikes"
          items={[...spikes.spikes].reverse().slice(0, 8)}
          empty={
            spikes.computed_through ? (
              `No spike in the weeks ${spikes.from} to ${spikes.to}.`
            ) : (
              <>
                No verdicts yet: detection runs once tickets arrive.{' '}
                <AreaLink session={session} area="import" href="/console/import">
                  Import a ticket history
                </AreaLink>{' '}
                or send tickets to <code>POST /v1/tickets</code>.
              </>
            )
          }
          item={(s) => (
            <>
              Week of {s.week}: <bdi>{s.label}</bdi>, {s.observed} contacts (expected{' '}
              {expectedContacts(s.expected)}; chance <SpikeChance spike={s} />){' '}
              <Pill>{s.severity}</Pill>
            </>
          )}
        />
        <ListCard
          id="patterns"
          title="Preventable patterns"
          items={patterns.slice(0, 5)}
          empty="No recurring pattern found in the last year."
          item={(p) => (
            <>
              <bdi>{p.label}</bdi> around <bdi>{p.group.title}</bdi>:{' '}
              {`${p.occurrences_with_excess} of ${p.occurrences_seen} occurrences spiked; `}
              {`about ${Math.round(p.expected_contacts_next)} contacts expected next time. `}
              <AreaLink session={session} area="campaigns" href={campaignShortcut(p)}>
                Create a campaign
              </AreaLink>
            </>
          )}
        />
      </div>
    </>,
  );
});
