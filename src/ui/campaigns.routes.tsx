import { formatInTimeZone } from 'date-fns-tz';
import { eq, gt, isNotNull, or } from 'drizzle-orm';
import type { Child } from 'hono/jsx';
import { events } from '../db/schema';
import type { Deps } from '../deps';
import { AppError } from '../http/app-error';
import { actorOf } from '../http/principal';
import { isUuid } from '../lib/is-uuid';
import { audienceSize } from '../modules/campaigns/audience-sql';
import type { CampaignPrecondition } from '../modules/campaigns/campaign-etag';
import type { CampaignCreate } from '../modules/campaigns/campaign-input';
import { campaignReach } from '../modules/campaigns/campaign-reach.service';
import {
  createCampaign,
  listCampaigns,
  patchCampaign,
} from '../modules/campaigns/campaigns.service';
import { holdoutWarnings } from '../modules/campaigns/holdout-power';
import { renderMarkdown } from '../modules/campaigns/markdown';
import {
  personalise,
  renderCampaignTemplate,
} from '../modules/email/compose/render-campaign-email';
import { listDeliveries } from '../modules/email/delivery/deliveries.service';
import { calendarEvent } from '../modules/events/occurrences';
import { occurringSince } from '../modules/events/occurring-since';
import { Card, Instant, Message, PageHeader, Pager, Pill, Table } from '../view-kit/components';
import { PostForm } from '../view-kit/fields';
import type { FormState } from '../view-kit/form-state';
import {
  BannerPreview,
  CampaignForm,
  campaignFromForm,
  formField,
  formFromCampaign,
} from './campaign-form';
import {
  type ConsoleContext,
  campaignById,
  createConsoleRouter,
  done,
  fieldMessages,
  postedForm,
  type RenderOptions,
  render,
  signedIn,
} from './console-router';
import { type FormProblem, formPost } from './form-post';
import { mayOpen, PAGE_ROLES } from './layout';

export const campaignRoutes = createConsoleRouter();
const pathId = (c: ConsoleContext) => c.req.param('id') ?? '';
const ops = signedIn(PAGE_ROLES.campaigns);

/** How long after an event's last window ends it is still offered: a campaign may follow it up. */
const RECENT_EVENT_DAYS = 30;

/**
 * Events a campaign can be linked to: those with a window ending in the last 30 days or still
 * to come (a series by its rule and its extra starts), and the one already linked (ten years
 * of imported holidays would otherwise fill the list with the past), each named with its
 * start day in its own zone: a holidays import gives every year's Christmas one title, and a
 * title alone cannot tell them apart.
 */
async function eventChoices(deps: Deps, linked: string | undefined) {
  const since = new Date(deps.clock.now().getTime() - RECENT_EVENT_DAYS * 86_400_000);
  const linkedId = linked && isUuid(linked) ? linked : undefined;
  const candidates = await deps.db
    .select()
    .from(events)
    .where(
      or(
        isNotNull(events.rrule),
        gt(events.endsAt, since),
        linkedId ? eq(events.id, linkedId) : undefined,
      ),
    )
    .orderBy(events.title, events.startsAt);
  const occurring = await occurringSince(deps, candidates.map(calendarEvent), since);
  return candidates
    .filter((event) => event.id === linkedId || occurring.has(event.id))
    .map((event) => {
      const zone = event.timeZone ?? deps.config.workspaceTimeZone;
      const day = formatInTimeZone(event.startsAt, zone, 'yyyy-MM-dd');
      const when = event.rrule ? `repeats from ${day}` : day;
      return { id: event.id, title: `${event.title}, ${when}` };
    });
}

/** What the campaign would look like and reach, before anything is saved. */
async function preview(deps: Deps, input: CampaignCreate) {
  const [matching, warnings] = await Promise.all([
    audienceSize(deps.db, input.audience),
    holdoutWarnings(deps, input),
  ]);
  const bodyHtml = renderMarkdown(input.body);
  let email = '';
  if (input.email) {
    const rendered = await renderCampaignTemplate(
      {
        title: input.title,
        bodyHtml,
        ctaLabel: input.cta?.label ?? null,
        ctaUrl: input.cta?.url ?? null,
        locales: {},
        email: {
          template: input.email.template,
          subject: input.email.subject ?? null,
          send_at: null,
          before_event: null,
          local_time: null,
          send_window: null,
        },
      },
      null,
      false,
    );
    email = personalise(rendered, {
      name: 'Ada',
      email: 'ada@example.com',
      account_id: 'example-account',
      plan: 'pro',
      event_time: '',
      unsubscribe_url: `${deps.config.publicUrl}/unsubscribe/preview`,
    }).html;
  }
  const heldOut = Math.round((matching * input.holdout_percent) / 100);
  return (
    <section class="card" aria-labelledby="preview-h" id="preview">
      <h2 id="preview-h">Preview</h2>
      <p role="status">
        <strong>{matching.toLocaleString('en')}</strong> account{matching === 1 ? '' : 's'} match
        the audience now{input.holdout_percent > 0 ? `; about ${heldOut} will be held out` : ''}.
      </p>
      {warnings.map((w) => (
        <Message flash={{ ok: false, text: w.message }} />
      ))}
      {input.channels.some((ch) => ch !== 'email') ? (
        <BannerPreview title={input.title} bodyHtml={bodyHtml} severity={input.severity} />
      ) : (
        ''
      )}
      {email ? (
        <>
          <h3>Email</h3>
          <iframe class="email" title="Email preview" sandbox="" srcdoc={email} />
        </>
      ) : (
        ''
      )}
    </section>
  );
}

async function showForm(
  c: ConsoleContext,
  state: FormState,
  options: { action: string; editing: boolean; preview?: Child },
  problem?: FormProblem,
) {
  const title = options.editing ? 'Edit campaign' : 'New campaign';
  return render(
    c,
    title,
    <>
      <PageHeader title={title} />
      <CampaignForm
        csrf={c.var.session.csrfToken}
        state={state}
        action={options.action}
        editing={options.editing}
        events={await eventChoices(c.var.deps, state.values.event_id)}
        preview={options.preview}
      />
    </>,
    {
      status: problem?.status,
      flash: problem ? { ok: false, text: problem.summary, link: problem.link } : undefined,
    },
  );
}

const NOTHING_SAVED = 'Fix the fields marked below; nothing was saved.';
type Campaign = Awaited<ReturnType<typeof listCampaigns>>['data'][number];

const CampaignTable = ({ campaigns }: { campaigns: Campaign[] }) => (
  <Table
    rows={campaigns}
    empty="No campaign yet. Create one to show a banner or send an email."
    columns={[
      {
        header: 'Title',
        cell: (cmp) => <a href={`/console/campaigns/${cmp.id}`}>{cmp.title}</a>,
      },
      { header: 'Status', cell: (cmp) => <Pill>{cmp.status}</Pill> },
      { header: 'Channels', cell: (cmp) => cmp.channels.join(', ') },
      { header: 'Starts', cell: (cmp) => <Instant at={cmp.starts_at} /> },
      { header: 'Holdout', cell: (cmp) => `${cmp.holdout_percent}%` },
    ]}
  />
);

const PAGE_SIZE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

campaignRoutes.get('/console/campaigns', ops, async (c) => {
  // A hand-edited cursor starts over rather than failing.
  const cursor = UUID.test(c.req.query('cursor') ?? '') ? c.req.query('cursor') : undefined;
  const page = await listCampaigns(c.var.deps, { limit: PAGE_SIZE, cursor });
  return render(
    c,
    'Campaigns',
    <>
      <PageHeader title="Campaigns">
        <p>
          <a href="/console/campaigns/new">New campaign</a>
        </p>
      </PageHeader>
      <CampaignTable campaigns={page.data} />
      <Pager
        first={cursor ? '/console/campaigns' : undefined}
        next={page.next_cursor ? `/console/campaigns?cursor=${page.next_cursor}` : undefined}
      />
    </>,
  );
});

campaignRoutes.get('/console/campaigns/new', ops, async (c) => {
  const query = c.req.query();
  const values = {
    channels: 'banner',
    severity: 'info',
    audience_type: 'all',
    holdout_percent: '0',
    email_send: 'start',
    ...query,
  };
  return showForm(c, { values, errors: {} }, { action: '/console/campaigns', editing: false });
});

const NEW = { action: '/console/campaigns', editing: false };

campaignRoutes.post(
  '/console/campaigns',
  ops,
  formPost(campaignFromForm, {
    page: (c, state, problem) => showForm(c, state, NEW, problem),
    invalid: NOTHING_SAVED,
    // A preview only shows: claiming the key, it would turn away as "sent before with other
    // contents" the Publish sent while it answers.
    once: (values) => values.action !== 'preview',
    toField: formField,
    save: async (c, input, values) => {
      if (values.action === 'preview') {
        const shown = await preview(c.var.deps, input);
        return showForm(c, { values, errors: {} }, { ...NEW, preview: shown });
      }
      const publish = values.action === 'publish';
      const campaign = await createCampaign(
        c.var.deps,
        { ...input, publish },
        actorOf(c.var.session.principal),
      );
      const message = publish ? 'Published.' : 'Saved as a draft.';
      return { to: `/console/campaigns/${campaign.id}`, message };
    },
  }),
);

/**
 * The preview alone, for the form's script to refresh as ops type (the form works without it:
 * "Preview and count" posts the whole form).
 */
campaignRoutes.post('/console/campaigns/preview', ops, async (c) => {
  const parsed = campaignFromForm(await postedForm(c));
  if ('errors' in parsed) {
    const problems = Object.entries(parsed.errors).map(
      ([field, message]) => `${field.replaceAll('_', ' ')}: ${message}`,
    );
    return c.html(
      <section class="card" id="preview">
        <h2>Preview</h2>
        <p>Not yet: {problems.join('; ')}</p>
      </section>,
    );
  }
  return c.html(await preview(c.var.deps, parsed.data));
});

/**
 * A button that moves the campaign to `status`, only at the version the page shows: a press
 * after someone changed the campaign meanwhile moves nothing (see `changedSinceShown`).
 */
const StatusButton = (props: {
  id: string;
  version: number;
  csrf: string;
  status: string;
  label: string;
  danger?: boolean;
}) => (
  <>
    <PostForm action={`/console/campaigns/${props.id}/status`} csrf={props.csrf} class="inline">
      <input type="hidden" name="status" value={props.status} />
      <input type="hidden" name="version" value={String(props.version)} />
      <button type="submit" class={props.danger ? 'danger' : ''}>
        {props.label}
      </button>
    </PostForm>{' '}
  </>
);

/** The campaign's emails by delivery state, or why there are none. */
const deliveryCounts = (counts: Record<string, number>, status: string, audience: number) => {
  const planned = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  if (planned) return planned;
  if (status === 'draft') return 'None planned yet (publish to plan them)';
  if (status === 'ended' || status === 'cancelled') return 'None was sent';
  if (audience === 0) return 'None planned: no account is in the audience';
  return (
    'None planned: no account in its audience, outside the holdout, has an email contact ' +
    '(accounts are planned as the product syncs them)'
  );
};

campaignRoutes.get('/console/campaigns/:id', ops, (c) => campaignPage(c, pathId(c)));

/** A campaign's page; `options` carries why a move from its buttons was refused. */
async function campaignPage(c: ConsoleContext, id: string, options: RenderOptions = {}) {
  const { deps } = c.var;
  const campaign = await campaignById(deps, id);
  const [deliveries, reach] = await Promise.all([
    campaign.channels.includes('email') ? listDeliveries(deps, campaign.id, { limit: 1 }) : null,
    campaignReach(deps, campaign),
  ]);
  const button = { id: campaign.id, version: campaign.version, csrf: c.var.session.csrfToken };
  const { status } = campaign;
  const starts = campaign.starts_at ? <Instant at={campaign.starts_at} /> : 'when published';
  const ends = campaign.ends_at ? <Instant at={campaign.ends_at} /> : 'when ended';
  return render(
    c,
    campaign.title,
    <>
      <PageHeader title={campaign.title} />
      <p>
        <Pill>{status}</Pill> <Pill>{campaign.channels.join(', ')}</Pill>{' '}
        <Pill>{campaign.severity}</Pill> holdout {campaign.holdout_percent}%
      </p>
      <p>
        {status === 'draft' ? <StatusButton {...button} status="scheduled" label="Publish" /> : ''}
        {status === 'active' ? (
          <StatusButton {...button} status="ended" label="End now" danger />
        ) : (
          ''
        )}
        {status === 'draft' || status === 'scheduled' ? (
          <StatusButton {...button} status="cancelled" label="Cancel" danger />
        ) : (
          ''
        )}
        {status === 'ended' || status === 'cancelled' ? (
          ''
        ) : (
          <a href={`/console/campaigns/${campaign.id}/edit`}>Edit</a>
        )}
      </p>
      <section class="card">
        <h2>As accounts see it</h2>
        <BannerPreview
          title={campaign.title}
          bodyHtml={campaign.body_html}
          severity={campaign.severity}
        />
        <p>
          Starts {starts}; ends {ends}. Target reasons:{' '}
          {campaign.target_reasons.join(', ') || 'none'}.
        </p>
      </section>
      <Card id="reach" title="Reach">
        <Table
          rows={
            [
              ['Accounts in the audience now', reach.audience],
              ['Accounts exposed (treated)', reach.exposed.treated],
              ...Object.entries(reach.exposed.by_channel).map(([channel, n]): [string, number] => [
                `… by ${channel}`,
                n,
              ]),
              ['Accounts held out (would have been exposed)', reach.exposed.holdout],
              ['Accounts that dismissed it', reach.dismissed],
            ] as [string, number][]
          }
          columns={[
            { header: 'Measure', cell: ([label]) => label },
            { header: 'Accounts', cell: ([, n]) => n.toLocaleString('en'), numeric: true },
          ]}
        />
        {mayOpen(c.var.session, 'reports') ? (
          <p>
            <a href={`/console/campaigns/${campaign.id}/impact`}>Contacts it prevented (impact)</a>
          </p>
        ) : (
          ''
        )}
      </Card>
      {deliveries ? (
        <section class="card">
          <h2>Emails</h2>
          <p>
            {deliveryCounts(deliveries.counts, status, reach.audience)};{' '}
            {deliveries.held_out_accounts} held-out accounts.
          </p>
          <p>
            <a href={`/console/campaigns/${campaign.id}/email`}>
              Preview per recipient, send times and delivery states
            </a>
          </p>
        </section>
      ) : (
        ''
      )}
    </>,
    options,
  );
}

campaignRoutes.get('/console/campaigns/:id/edit', ops, async (c) => {
  const campaign = await campaignById(c.var.deps, pathId(c));
  return showForm(
    c,
    { values: formFromCampaign(campaign), errors: {} },
    { action: `/console/campaigns/${campaign.id}/edit`, editing: true },
  );
});

campaignRoutes.post('/console/campaigns/:id/edit', ops, (c) => {
  const id = pathId(c);
  const form = { action: `/console/campaigns/${id}/edit`, editing: true };
  return formPost(campaignFromForm, {
    page: (c, state, problem) => showForm(c, state, form, problem),
    invalid: NOTHING_SAVED,
    toField: formField,
    save: async (c, input, values) => {
      if (values.action === 'preview') {
        const shown = await preview(c.var.deps, input);
        return showForm(c, { values, errors: {} }, { ...form, preview: shown });
      }
      const { publish: _publish, starts_at, ...patch } = input;
      const ifMatch = openedVersion(values.version);
      const current = await campaignById(c.var.deps, id);
      try {
        await patchCampaign(
          c.var.deps,
          id,
          {
            ...patch,
            ...(starts_at && current.status !== 'active' ? { starts_at } : {}),
            cta: patch.cta ?? null,
          },
          actorOf(c.var.session.principal),
          c.var.deps.db,
          ifMatch,
        );
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'precondition_failed') throw error;
        return changedMeanwhile(c, id, values, form);
      }
      return { to: `/console/campaigns/${id}`, message: 'Saved.' };
    },
  })(c);
});

/**
 * The version a form (the edit form, a status button) was shown at, as its precondition; none
 * from a form without.
 */
function openedVersion(value: string | undefined): CampaignPrecondition | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new AppError(
      'validation_failed',
      'The form does not say which version of the campaign it was shown at; reload the page.',
      [
        {
          location: 'body',
          path: 'version',
          message: 'must be the version the form was shown at',
        },
      ],
    );
  }
  return { shownVersion: Number(value) };
}

/**
 * Someone saved the campaign after this form was opened: the form again, with what was typed
 * and the version now stored, so a second save replaces their change knowingly, never unseen.
 */
async function changedMeanwhile(
  c: ConsoleContext,
  id: string,
  values: Record<string, string>,
  form: { action: string; editing: boolean },
) {
  const stored = await campaignById(c.var.deps, id);
  return showForm(c, { values: { ...values, version: String(stored.version) }, errors: {} }, form, {
    status: 409,
    summary:
      'This campaign changed since you opened it: someone else saved it meanwhile, and ' +
      'nothing of yours was saved. Your changes are kept below; saving them again replaces ' +
      'what they saved.',
    link: {
      href: `/console/campaigns/${id}/edit`,
      label: 'Reload the form as it is saved now (your changes here are dropped).',
    },
  });
}

/**
 * Someone changed the campaign after its page was shown: the press asked for a move judged on
 * what that page showed, so nothing moves, and the page is shown again as the campaign is now.
 */
function changedSinceShown(c: ConsoleContext, id: string, status: (typeof STATUS_MOVES)[number]) {
  const move = { scheduled: 'published', ended: 'ended', cancelled: 'cancelled' }[status];
  return campaignPage(c, id, {
    status: 409,
    flash: {
      ok: false,
      text:
        `Nothing changed: the campaign was not ${move}. Someone changed it after this page ` +
        'was shown; it is shown below as it is now. Look it over, and press again if you ' +
        'still mean to.',
    },
  });
}

/** The statuses the campaign page's buttons move a campaign to. */
const STATUS_MOVES = ['scheduled', 'ended', 'cancelled'] as const;

campaignRoutes.post('/console/campaigns/:id/status', ops, async (c) => {
  const id = pathId(c);
  const values = await postedForm(c);
  await campaignById(c.var.deps, id);
  const status = STATUS_MOVES.find((s) => s === values.status);
  if (!status) {
    throw new AppError(
      'validation_failed',
      `A campaign is moved to ${STATUS_MOVES.join(', ')} from its page; "${values.status ?? ''}" is none of them.`,
    );
  }
  const ifMatch = openedVersion(values.version);
  const { deps, session } = c.var;
  try {
    await patchCampaign(deps, id, { status }, actorOf(session.principal), deps.db, ifMatch);
  } catch (error) {
    if (error instanceof AppError && error.code === 'precondition_failed') {
      return changedSinceShown(c, id, status);
    }
    const { summary, status: refused } = fieldMessages(error);
    return campaignPage(c, id, {
      status: refused,
      flash: { ok: false, text: `Not changed: ${summary}` },
    });
  }
  return done(
    c,
    `/console/campaigns/${id}`,
    { scheduled: 'Published.', ended: 'Ended.', cancelled: 'Cancelled.' }[status],
  );
});
