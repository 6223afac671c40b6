import type { Child } from 'hono/jsx';
import { EMAIL_TEMPLATES, SEVERITIES } from '../db/schema';
import type { CampaignView } from '../modules/campaigns/campaign-input';
import { type CampaignCreate, CampaignCreateSchema } from '../modules/campaigns/campaign-input';
import type { Pattern } from '../modules/patterns/patterns.service';
import { SanitizedHtml } from '../view-kit/components';
import { Checkboxes, PostForm, SelectField, TextArea, TextField } from '../view-kit/fields';
import { type FormState, issuesByField, utcInstant } from '../view-kit/form-state';
import type { Parsed } from './form-post';

export const RULE_ROWS = 3;
const ATTRIBUTES = ['plan', 'region', 'components', 'locale', 'time_zone', 'id'] as const;
const OPERATORS: (readonly [string, string])[] = [
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
export function campaignFromForm(values: Record<string, string>): Parsed<CampaignCreate> {
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
  if (parsed.success) return { data: parsed.data };
  return { errors: issuesByField(parsed.error.issues, candidate, formField) };
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

/** The form's values for an existing campaign (editing), with the version it was opened at. */
export function formFromCampaign(campaign: CampaignView): Record<string, string> {
  const values: Record<string, string> = {
    version: String(campaign.version),
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

const ruleRows = Array.from({ length: RULE_ROWS }, (_, i) => i + 1);

/** The campaign form; the server judges it with the API's schema and marks what to fix. */
export const CampaignForm = (props: {
  csrf: string;
  state: FormState;
  action: string;
  events: { id: string; title: string }[];
  editing: boolean;
  preview?: Child;
}) => {
  const { state } = props;
  return (
    <PostForm
      action={props.action}
      csrf={props.csrf}
      livePreview="/console/campaigns/preview"
      once={props.editing ? undefined : state}
    >
      {/* Saved only over this version: a save someone made since is not overwritten unseen. */}
      {props.editing && state.values.version ? (
        <input type="hidden" name="version" value={state.values.version} />
      ) : (
        ''
      )}
      <div class="grid">
        <section class="card">
          <h2>Message</h2>
          <Checkboxes
            state={state}
            name="channels"
            legend="Channels"
            options={[
              ['banner', 'Banner in the product'],
              ['status', 'Status message'],
              ['email', 'Email'],
            ]}
          />
          <TextField state={state} name="title" label="Title" required />
          <TextArea state={state} name="body" label="Body" hint="Markdown" />
          <SelectField state={state} name="severity" label="Severity" options={SEVERITIES} />
          <TextField state={state} name="cta_label" label="Call to action" hint="label, optional" />
          <TextField
            state={state}
            name="cta_url"
            label="Call-to-action link"
            type="url"
            placeholder="https://"
          />
        </section>
        <section class="card">
          <h2>Audience and schedule</h2>
          <SelectField
            state={state}
            name="audience_type"
            label="Who sees it"
            options={[
              ['all', 'Every account'],
              ['accounts', 'These accounts'],
              ['rule', 'Accounts matching rules'],
            ]}
          />
          <TextArea
            state={state}
            name="account_ids"
            label="Account ids"
            hint='comma-separated, for "These accounts"'
          />
          <SelectField
            state={state}
            name="rule_join"
            label="Rules must"
            options={[
              ['all', 'all match'],
              ['any', 'any match'],
            ]}
          />
          {ruleRows.map((i) => (
            <fieldset>
              <legend>Rule {i}</legend>
              <SelectField
                state={state}
                name={`attr_${i}`}
                label="Attribute"
                options={[['', '—'], ...ATTRIBUTES]}
              />
              <SelectField
                state={state}
                name={`op_${i}`}
                label="Condition"
                options={[['', '—'], ...OPERATORS]}
              />
              <TextField
                state={state}
                name={`value_${i}`}
                label="Value"
                hint='comma-separated for "is one of"'
              />
            </fieldset>
          ))}
          <TextField
            state={state}
            name="starts_at"
            label="Starts (UTC)"
            type="datetime-local"
            hint="empty: when published"
          />
          <TextField
            state={state}
            name="ends_at"
            label="Ends (UTC)"
            type="datetime-local"
            hint="empty: until ended"
          />
          <SelectField
            state={state}
            name="event_id"
            label="Linked event"
            options={[['', 'None'], ...props.events.map((e) => [e.id, e.title] as const)]}
          />
          <TextField
            state={state}
            name="target_reasons"
            label="Target reasons"
            hint="contact reasons by label, alias or slug, comma-separated"
          />
          <TextField
            state={state}
            name="holdout_percent"
            label="Holdout %"
            type="number"
            hint="0–50; held-out accounts measure what the campaign prevents"
          />
        </section>
        {/* Hidden by the stylesheet while Email is unticked: no script needed. */}
        <section class="card email-settings">
          <h2>Email</h2>
          <SelectField
            state={state}
            name="email_template"
            label="Template"
            options={EMAIL_TEMPLATES}
          />
          <SelectField
            state={state}
            name="email_send"
            label="Send"
            options={[
              ['start', 'when the campaign starts'],
              ['at', 'at a time'],
              ['before_event', 'days before the linked event'],
            ]}
          />
          <TextField
            state={state}
            name="email_send_at"
            label="Send at (UTC)"
            type="datetime-local"
          />
          <TextField state={state} name="email_days" label="Days before the event" type="number" />
          <TextField
            state={state}
            name="email_local_time"
            label="At this time in each recipient's zone"
            placeholder="09:00"
          />
        </section>
      </div>
      <div id="preview-slot" aria-live="polite">
        {props.preview ?? ''}
      </div>
      <div class="actions">
        <button type="submit" name="action" value="preview" class="secondary">
          Preview and count
        </button>
        {props.editing ? (
          <button type="submit" name="action" value="save">
            Save changes
          </button>
        ) : (
          <>
            <button type="submit" name="action" value="draft" class="secondary">
              Save draft
            </button>
            <button type="submit" name="action" value="publish">
              Publish
            </button>
          </>
        )}
      </div>
      <script src="/console/assets/live-preview.js" defer />
    </PostForm>
  );
};

/** A banner as accounts see it; `bodyHtml` is the sanitised Markdown. */
export const BannerPreview = (props: { title: string; bodyHtml: string; severity: string }) => (
  <div class={`banner ${props.severity}`} role="note">
    <strong>{props.title}</strong>
    <SanitizedHtml html={props.bodyHtml} />
  </div>
);

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
