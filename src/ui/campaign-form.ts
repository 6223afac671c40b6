import { html, raw } from 'hono/html';
import { EMAIL_TEMPLATES, SEVERITIES } from '../db/schema';
import type { CampaignView } from '../modules/campaigns/campaign-input';
import { type CampaignCreate, CampaignCreateSchema } from '../modules/campaigns/campaign-input';
import type { Pattern } from '../modules/patterns/patterns.service';
import type { ConsoleSession } from './console-session';
import {
  checkboxes,
  type FormState,
  issuesByField,
  selectField,
  textArea,
  textField,
  utcInstant,
} from './form-fields';
import { csrfField, type Markup } from './layout';

export const RULE_ROWS = 3;
const ATTRIBUTES = ['plan', 'region', 'components', 'locale', 'time_zone', 'id'];
const OPERATORS: [string, string][] = [
  ['eq', 'is'],
  ['in', 'is one of'],
  ['not_in', 'is none of'],
  ['contains', 'contains'],
  ['exists', 'is set'],
];

const list = (value: string | undefined) =>
  (value ?? '')
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter(Boolean);
const localInput = (iso: string | null | undefined) => (iso ? iso.slice(0, 16) : '');

/** The API's campaign from the console's form; the API's own schema judges it. */
export function campaignFromForm(values: Record<string, string>): {
  input?: CampaignCreate;
  errors: Record<string, string>;
} {
  const audience =
    values.audience_type === 'accounts'
      ? { type: 'accounts', account_ids: list(values.account_ids) }
      : values.audience_type === 'rule'
        ? {
            type: 'rule',
            [values.rule_join === 'any' ? 'any' : 'all']: Array.from(
              { length: RULE_ROWS },
              (_, i) => i + 1,
            )
              .filter((i) => values[`attr_${i}`] && values[`op_${i}`])
              .map((i) => {
                const op = values[`op_${i}`];
                const attribute = values[`attr_${i}`];
                if (op === 'exists') return { attribute, op };
                const value = values[`value_${i}`] ?? '';
                return {
                  attribute,
                  op,
                  value: op === 'in' || op === 'not_in' ? list(value) : value,
                };
              }),
          }
        : { type: 'all' };
  const channels = list(values.channels);
  const candidate = {
    channels,
    title: values.title ?? '',
    body: values.body ?? '',
    severity: values.severity || 'info',
    cta:
      values.cta_url || values.cta_label
        ? { label: values.cta_label ?? '', url: values.cta_url ?? '' }
        : null,
    starts_at: utcInstant(values.starts_at) ?? null,
    ends_at: utcInstant(values.ends_at) ?? null,
    audience,
    event_id: values.event_id || null,
    target_reasons: list(values.target_reasons),
    holdout_percent: Number(values.holdout_percent || 0),
    email: channels.includes('email')
      ? {
          template: values.email_template || 'announcement',
          send_at: values.email_send === 'at' ? (utcInstant(values.email_send_at) ?? '') : null,
          before_event:
            values.email_send === 'before_event'
              ? { days: Number(values.email_days || 0), hours: 0 }
              : null,
          local_time: values.email_local_time || null,
        }
      : null,
    publish: values.action === 'publish',
  };
  const parsed = CampaignCreateSchema.safeParse(candidate);
  if (parsed.success) return { input: parsed.data, errors: {} };
  return { errors: issuesByField(parsed.error.issues, formField) };
}

/** API paths to the form fields that hold them, so messages show next to what to fix. */
export function formField(path: string): string {
  const [head, second] = path.split('.');
  if (head === 'cta') return 'cta_url';
  if (head === 'audience') return 'audience_type';
  if (head === 'email') {
    if (second === 'send_at') return 'email_send_at';
    if (second === 'before_event') return 'email_days';
    if (second === 'local_time') return 'email_local_time';
    return 'email_template';
  }
  return head ?? path;
}

/** The form's values for an existing campaign (editing). */
export function formFromCampaign(campaign: CampaignView): Record<string, string> {
  const values: Record<string, string> = {
    channels: campaign.channels.join(','),
    title: campaign.title,
    body: campaign.body,
    severity: campaign.severity,
    cta_label: campaign.cta?.label ?? '',
    cta_url: campaign.cta?.url ?? '',
    starts_at: localInput(campaign.starts_at),
    ends_at: localInput(campaign.ends_at),
    audience_type: campaign.audience.type,
    event_id: campaign.event_id ?? '',
    target_reasons: campaign.target_reasons.join(', '),
    holdout_percent: String(campaign.holdout_percent),
    email_template: campaign.email?.template ?? 'announcement',
    email_send: campaign.email?.send_at
      ? 'at'
      : campaign.email?.before_event
        ? 'before_event'
        : 'start',
    email_send_at: localInput(campaign.email?.send_at),
    email_days: String(campaign.email?.before_event?.days ?? ''),
    email_local_time: campaign.email?.local_time ?? '',
  };
  const audience = campaign.audience as Record<string, unknown>;
  if (audience.type === 'accounts')
    values.account_ids = (audience.account_ids as string[]).join(', ');
  if (audience.type === 'rule') {
    const join = 'any' in audience ? 'any' : 'all';
    values.rule_join = join;
    (audience[join] as Record<string, unknown>[]).slice(0, RULE_ROWS).forEach((predicate, i) => {
      values[`attr_${i + 1}`] = String(predicate.attribute ?? '');
      values[`op_${i + 1}`] = String(predicate.op ?? '');
      const value = predicate.value;
      values[`value_${i + 1}`] = Array.isArray(value) ? value.join(', ') : String(value ?? '');
    });
  }
  return values;
}

export function campaignForm(
  session: ConsoleSession,
  state: FormState,
  options: {
    action: string;
    events: { id: string; title: string }[];
    editing: boolean;
    preview?: Markup;
  },
) {
  return html`<form method="post" action="${options.action}" novalidate data-live-preview="/console/campaigns/preview">
    ${csrfField(session)}
    <div class="grid">
      <section class="card">
        <h2>Message</h2>
        ${checkboxes(state, 'channels', 'Channels', [
          ['banner', 'Banner in the product'],
          ['status', 'Status message'],
          ['email', 'Email'],
        ])}
        ${textField(state, 'title', 'Title', { required: true })}
        ${textArea(state, 'body', 'Body', 'Markdown')}
        ${selectField(state, 'severity', 'Severity', SEVERITIES)}
        ${textField(state, 'cta_label', 'Call to action', { hint: 'label, optional' })}
        ${textField(state, 'cta_url', 'Call-to-action link', { type: 'url', placeholder: 'https://' })}
      </section>
      <section class="card">
        <h2>Audience and schedule</h2>
        ${selectField(state, 'audience_type', 'Who sees it', [
          ['all', 'Every account'],
          ['accounts', 'These accounts'],
          ['rule', 'Accounts matching rules'],
        ])}
        ${textArea(state, 'account_ids', 'Account ids', 'comma-separated, for "These accounts"')}
        ${selectField(state, 'rule_join', 'Rules must', [
          ['all', 'all match'],
          ['any', 'any match'],
        ])}
        ${Array.from({ length: RULE_ROWS }, (_, i) => i + 1).map(
          (i) => html`<fieldset><legend>Rule ${i}</legend>
            ${selectField(state, `attr_${i}`, 'Attribute', [['', '—'], ...ATTRIBUTES.map((a): [string, string] => [a, a])])}
            ${selectField(state, `op_${i}`, 'Condition', [['', '—'], ...OPERATORS])}
            ${textField(state, `value_${i}`, 'Value', { hint: 'comma-separated for "is one of"' })}
          </fieldset>`,
        )}
        ${textField(state, 'starts_at', 'Starts (UTC)', { type: 'datetime-local', hint: 'empty: when published' })}
        ${textField(state, 'ends_at', 'Ends (UTC)', { type: 'datetime-local', hint: 'empty: until ended' })}
        ${selectField(state, 'event_id', 'Linked event', [['', 'None'], ...options.events.map((e): [string, string] => [e.id, e.title])])}
        ${textField(state, 'target_reasons', 'Target reasons', { hint: 'contact reason slugs, comma-separated' })}
        ${textField(state, 'holdout_percent', 'Holdout %', { type: 'number', hint: '0–50; held-out accounts measure what the campaign prevents' })}
      </section>
      <section class="card">
        <h2>Email</h2>
        ${selectField(state, 'email_template', 'Template', EMAIL_TEMPLATES)}
        ${selectField(state, 'email_send', 'Send', [
          ['start', 'when the campaign starts'],
          ['at', 'at a time'],
          ['before_event', 'days before the linked event'],
        ])}
        ${textField(state, 'email_send_at', 'Send at (UTC)', { type: 'datetime-local' })}
        ${textField(state, 'email_days', 'Days before the event', { type: 'number' })}
        ${textField(state, 'email_local_time', "At this time in each recipient's zone", { placeholder: '09:00' })}
      </section>
    </div>
    <div id="preview-slot" aria-live="polite">${options.preview ?? ''}</div>
    <button type="submit" name="action" value="preview" class="secondary">Preview and count</button>
    <script src="/console/assets/live-preview.js" defer></script>
    ${
      options.editing
        ? html`<button type="submit" name="action" value="save">Save changes</button>`
        : html`<button type="submit" name="action" value="draft" class="secondary">Save draft</button>
      <button type="submit" name="action" value="publish">Publish</button>`
    }
  </form>`;
}

export function bannerPreview(input: { title: string; bodyHtml: string; severity: string }) {
  return html`<div class="banner ${input.severity}" role="note"><strong>${input.title}</strong>${raw(input.bodyHtml)}</div>`;
}

/** A "new campaign" link prefilled from a pattern's suggestion. */
export function campaignShortcut(pattern: Pattern): string {
  const params = new URLSearchParams({
    title: `Heads-up: ${pattern.group.title}`,
    channels: pattern.suggestion.channels.join(','),
    target_reasons: pattern.reason,
    ...(pattern.group.event_id ? { event_id: pattern.group.event_id } : {}),
  });
  return `/console/campaigns/new?${params}`;
}
