import { html } from 'hono/html';
import { events } from '../db/schema';
import type { Deps } from '../deps';
import { audienceSize } from '../modules/campaigns/audience-sql';
import type { CampaignCreate } from '../modules/campaigns/campaign-input';
import { actorOf } from '../modules/campaigns/campaigns.routes';
import {
  createCampaign,
  getCampaign,
  listCampaigns,
  patchCampaign,
} from '../modules/campaigns/campaigns.service';
import { holdoutWarnings } from '../modules/campaigns/holdout-power';
import { renderMarkdown } from '../modules/campaigns/markdown';
import { listDeliveries } from '../modules/email/deliveries.service';
import { personalise, renderCampaignTemplate } from '../modules/email/render-campaign-email';
import {
  bannerPreview,
  campaignForm,
  campaignFromForm,
  formField,
  formFromCampaign,
} from './campaign-form';
import {
  type ConsoleContext,
  createConsoleRouter,
  done,
  fieldMessages,
  postedForm,
  render,
  signedIn,
} from './console-router';
import type { FormState } from './form-fields';
import { csrfField } from './layout';

export const campaignRoutes = createConsoleRouter();
const pathId = (c: ConsoleContext) => c.req.param('id') ?? '';
const ops = signedIn(['ops']);

const eventChoices = (deps: Deps) =>
  deps.db.select({ id: events.id, title: events.title }).from(events).orderBy(events.title);

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
  return html`<section class="card" aria-labelledby="preview-h" id="preview">
    <h2 id="preview-h">Preview</h2>
    <p role="status"><strong>${matching.toLocaleString('en')}</strong> account${matching === 1 ? '' : 's'} match the audience now${input.holdout_percent > 0 ? `; about ${Math.round((matching * input.holdout_percent) / 100)} will be held out` : ''}.</p>
    ${warnings.map((w) => html`<p class="flash bad">${w.message}</p>`)}
    ${input.channels.some((ch) => ch !== 'email') ? bannerPreview({ title: input.title, bodyHtml, severity: input.severity }) : ''}
    ${email ? html`<h3>Email</h3><iframe class="email" title="Email preview" sandbox="" srcdoc="${email}"></iframe>` : ''}
  </section>`;
}

async function showForm(
  c: ConsoleContext,
  state: FormState,
  options: {
    action: string;
    editing: boolean;
    status?: 200 | 400 | 409;
    extra?: unknown;
    summary?: string;
  },
) {
  const content = campaignForm(c.var.session, state, {
    action: options.action,
    editing: options.editing,
    events: await eventChoices(c.var.deps),
    preview: options.extra as never,
  });
  return render(
    c,
    options.editing ? 'Edit campaign' : 'New campaign',
    html`<h1>${options.editing ? 'Edit campaign' : 'New campaign'}</h1>${content}`,
    {
      status: options.status,
      flash: options.summary ? { ok: false, text: options.summary } : undefined,
    },
  );
}

campaignRoutes.get('/console/campaigns', ops, async (c) => {
  const page = await listCampaigns(c.var.deps, { limit: 100 });
  return render(
    c,
    'Campaigns',
    html`<h1>Campaigns</h1><p><a href="/console/campaigns/new">New campaign</a></p>
    ${
      page.data.length === 0
        ? html`<p class="empty">No campaign yet. Create one to show a banner or send an email.</p>`
        : html`<table><thead><tr><th>Title</th><th>Status</th><th>Channels</th><th>Starts</th><th>Holdout</th></tr></thead><tbody>
      ${page.data.map((cmp) => html`<tr><td><a href="/console/campaigns/${cmp.id}">${cmp.title}</a></td><td><span class="pill">${cmp.status}</span></td><td>${cmp.channels.join(', ')}</td><td>${cmp.starts_at?.slice(0, 16).replace('T', ' ') ?? '—'}</td><td>${cmp.holdout_percent}%</td></tr>`)}
    </tbody></table>`
    }`,
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

campaignRoutes.post('/console/campaigns', ops, async (c) => {
  const values = await postedForm(c);
  const { input, errors } = campaignFromForm(values);
  const state = { values, errors };
  if (!input)
    return showForm(c, state, {
      action: '/console/campaigns',
      editing: false,
      status: 400,
      summary: 'Fix the fields marked below; nothing was saved.',
    });
  if (values.action === 'preview') {
    return showForm(c, state, {
      action: '/console/campaigns',
      editing: false,
      extra: await preview(c.var.deps, input),
    });
  }
  try {
    const campaign = await createCampaign(
      c.var.deps,
      { ...input, publish: values.action === 'publish' },
      actorOf(c.var.session.principal),
    );
    return done(
      c,
      `/console/campaigns/${campaign.id}`,
      values.action === 'publish' ? 'Published.' : 'Saved as a draft.',
    );
  } catch (error) {
    const { errors: problems, summary } = fieldMessages(error, formField);
    return showForm(
      c,
      { values, errors: problems },
      { action: '/console/campaigns', editing: false, status: 400, summary },
    );
  }
});

/**
 * The preview alone, for the form's script to refresh as ops type (the form works without it:
 * "Preview and count" posts the whole form).
 */
campaignRoutes.post('/console/campaigns/preview', ops, async (c) => {
  const values = await postedForm(c);
  const { input, errors } = campaignFromForm(values);
  if (!input) {
    const problems = Object.entries(errors).map(
      ([field, message]) => `${field.replaceAll('_', ' ')}: ${message}`,
    );
    return c.html(
      html`<section class="card" id="preview"><h2>Preview</h2><p>Not yet: ${problems.join('; ')}</p></section>`,
    );
  }
  return c.html(await preview(c.var.deps, input));
});

campaignRoutes.get('/console/campaigns/:id', ops, async (c) => {
  const { deps } = c.var;
  const campaign = await getCampaign(deps, pathId(c));
  const deliveries = campaign.channels.includes('email')
    ? await listDeliveries(deps, campaign.id, { limit: 1 })
    : null;
  const session = c.var.session;
  const action = (status: string, label: string, style = '') =>
    html`<form method="post" action="/console/campaigns/${campaign.id}/status" style="display:inline">${csrfField(session)}<input type="hidden" name="status" value="${status}" /><button type="submit" class="${style}">${label}</button></form> `;
  return render(
    c,
    campaign.title,
    html`<h1>${campaign.title}</h1>
    <p><span class="pill">${campaign.status}</span> <span class="pill">${campaign.channels.join(', ')}</span> <span class="pill">${campaign.severity}</span> holdout ${campaign.holdout_percent}%</p>
    <p>${campaign.status === 'draft' ? action('scheduled', 'Publish') : ''}${campaign.status === 'active' ? action('ended', 'End now', 'danger') : ''}${campaign.status === 'draft' || campaign.status === 'scheduled' ? action('cancelled', 'Cancel', 'danger') : ''}
      ${campaign.status === 'ended' || campaign.status === 'cancelled' ? '' : html`<a href="/console/campaigns/${campaign.id}/edit">Edit</a>`}</p>
    <section class="card"><h2>As accounts see it</h2>${bannerPreview({ title: campaign.title, bodyHtml: campaign.body_html, severity: campaign.severity })}
      <p>Starts ${campaign.starts_at ?? 'when published'}; ends ${campaign.ends_at ?? 'when ended'}. Target reasons: ${campaign.target_reasons.join(', ') || 'none'}.</p></section>
    ${
      deliveries
        ? html`<section class="card"><h2>Emails</h2><p>${
            Object.entries(deliveries.counts)
              .filter(([, n]) => n > 0)
              .map(([status, n]) => `${n} ${status}`)
              .join(', ') || 'None planned yet (publish to plan them).'
          }; ${deliveries.held_out_accounts} held-out accounts.</p></section>`
        : ''
    }
    <p><a href="/console/reports">Prevented contacts in the report</a></p>`,
  );
});

campaignRoutes.get('/console/campaigns/:id/edit', ops, async (c) => {
  const campaign = await getCampaign(c.var.deps, pathId(c));
  return showForm(
    c,
    { values: formFromCampaign(campaign), errors: {} },
    { action: `/console/campaigns/${campaign.id}/edit`, editing: true },
  );
});

campaignRoutes.post('/console/campaigns/:id/edit', ops, async (c) => {
  const id = pathId(c);
  const values = await postedForm(c);
  const action = `/console/campaigns/${id}/edit`;
  const { input, errors } = campaignFromForm(values);
  if (!input)
    return showForm(
      c,
      { values, errors },
      {
        action,
        editing: true,
        status: 400,
        summary: 'Fix the fields marked below; nothing was saved.',
      },
    );
  if (values.action === 'preview')
    return showForm(
      c,
      { values, errors },
      { action, editing: true, extra: await preview(c.var.deps, input) },
    );
  const { publish: _publish, starts_at, ...patch } = input;
  try {
    const current = await getCampaign(c.var.deps, id);
    await patchCampaign(
      c.var.deps,
      id,
      {
        ...patch,
        ...(starts_at && current.status !== 'active' ? { starts_at } : {}),
        cta: patch.cta ?? null,
      },
      actorOf(c.var.session.principal),
    );
    return done(c, `/console/campaigns/${id}`, 'Saved.');
  } catch (error) {
    const { errors: problems, summary } = fieldMessages(error, formField);
    return showForm(
      c,
      { values, errors: problems },
      { action, editing: true, status: 400, summary },
    );
  }
});

campaignRoutes.post('/console/campaigns/:id/status', ops, async (c) => {
  const id = pathId(c);
  const values = await postedForm(c);
  const status = values.status as 'scheduled' | 'ended' | 'cancelled';
  try {
    await patchCampaign(c.var.deps, id, { status }, actorOf(c.var.session.principal));
  } catch (error) {
    const { summary } = fieldMessages(error);
    return c.redirect(
      `/console/campaigns/${id}?done=${encodeURIComponent(`Not changed: ${summary}`)}`,
      303,
    );
  }
  return done(
    c,
    `/console/campaigns/${id}`,
    { scheduled: 'Published.', ended: 'Ended.', cancelled: 'Cancelled.' }[status] ?? 'Done.',
  );
});
