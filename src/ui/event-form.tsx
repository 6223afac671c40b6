import { EVENT_KINDS } from '../db/schema';
import type { EventInput, EventView } from '../modules/events/event-schemas';
import { EventInputSchema } from '../modules/events/events.routes';
import { isDay, MAX_EXCEPTIONS } from '../modules/events/recurrence-exceptions';
import type { ReasonChoice } from '../modules/reasons/reason-choices';
import { Card } from '../view-kit/components';
import { Checkboxes, PostForm, SelectField, TextArea, TextField } from '../view-kit/fields';
import { type FormState, utcInstant } from '../view-kit/form-state';
import { firstSegment, type Parsed, withSchema } from './form-post';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
const WHOLE = /^\s*\d+\s*$/;

const list = (value: string | undefined) =>
  (value ?? '')
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);

/** A start typed as the form's times are (UTC, no offset) is read so; a day or an instant as is. */
const startOf = (value: string) => (DATE_TIME.test(value) ? (utcInstant(value) ?? value) : value);

/** Days as a number; anything else as typed, for the schema to refuse. */
const days = (value: string | undefined) =>
  !value?.trim() ? 0 : WHOLE.test(value) ? Number(value) : value;

/** Messages the schema words for JSON, in the form's words. */
const FIELD_MESSAGES: Record<string, string> = {
  lead_days: 'Enter whole days from 0 to 60.',
  lag_days: 'Enter whole days from 0 to 60.',
  excluded_starts: 'Each must be a day (2026-12-24) or a time in UTC (2026-12-24T09:00).',
  extra_starts: 'Each must be a time in UTC (2026-12-28T09:00).',
};

const parseWithSchema = withSchema(
  EventInputSchema,
  (values) => ({
    kind: values.kind,
    title: values.title ?? '',
    starts_at: utcInstant(values.starts_at) ?? '',
    ends_at: utcInstant(values.ends_at) ?? '',
    rrule: values.rrule?.trim() || null,
    time_zone: values.time_zone?.trim() || null,
    excluded_starts: list(values.excluded_starts).map(startOf),
    extra_starts: list(values.extra_starts).map(startOf),
    lead_days: days(values.lead_days),
    lag_days: days(values.lag_days),
    affected_reasons: list(values.affected_reasons),
  }),
  firstSegment,
);

/** The API's event from the console's form; the API's own schema judges it. */
export function eventFromForm(values: Record<string, string>): Parsed<EventInput> {
  const parsed = parseWithSchema(values);
  if ('data' in parsed) return parsed;
  const errors = { ...parsed.errors };
  for (const field of Object.keys(errors)) {
    const message = FIELD_MESSAGES[field];
    if (message && errors[field] !== 'This is required.') errors[field] = message;
  }
  // The format's message would hide a list that is too long, each line well formed.
  for (const field of ['excluded_starts', 'extra_starts']) {
    if (list(values[field]).length > MAX_EXCEPTIONS) {
      errors[field] = `Enter at most ${MAX_EXCEPTIONS} starts, one a line.`;
    }
  }
  return { errors };
}

/**
 * A stored instant as the form's UTC fields show it: to the minute, or to the second or
 * millisecond where it has one, so a form saved unchanged stores the instant it showed.
 */
const utcField = (iso: string) =>
  iso.slice(17, 23) === '00.000'
    ? iso.slice(0, 16)
    : iso.slice(20, 23) === '000'
      ? iso.slice(0, 19)
      : iso.slice(0, 23);

/** Skipped or extra starts, one a line as the hints ask for them: days as they are. */
const startLines = (starts: string[]) =>
  starts.map((start) => (isDay(start) ? start : utcField(start))).join('\n');

/** The form's values for a stored event (editing), with the version it was opened at. */
export const formFromEvent = (event: EventView): Record<string, string> => ({
  version: String(event.version),
  kind: event.kind,
  title: event.title,
  starts_at: utcField(event.starts_at),
  ends_at: utcField(event.ends_at),
  rrule: event.rrule ?? '',
  time_zone: event.time_zone ?? '',
  // As stored: sent back unchanged, they move with the series when its start moves.
  excluded_starts: startLines(event.excluded_starts),
  extra_starts: startLines(event.extra_starts),
  lead_days: String(event.lead_days),
  lag_days: String(event.lag_days),
  affected_reasons: event.affected_reasons.join(','),
});

/** The add and edit form. Times are UTC, as in every console form (the page's script shows the reader's zone). */
export const EventForm = (props: {
  csrf: string;
  state: FormState;
  action: string;
  editing: boolean;
  reasons: ReasonChoice[];
  workspaceZone: string;
}) => {
  const { state } = props;
  // A stored reason no longer offered (made an alias since) stays chosen, by its slug.
  const offered = new Set(props.reasons.map((r) => r.slug));
  const kept = list(state.values.affected_reasons).filter((slug) => !offered.has(slug));
  return (
    <PostForm action={props.action} csrf={props.csrf} once={props.editing ? undefined : state}>
      {/* Saved only over this version: a save someone made since is not overwritten unseen. */}
      {props.editing && state.values.version ? (
        <input type="hidden" name="version" value={state.values.version} />
      ) : (
        ''
      )}
      <div class="grid">
        <Card id="what" title="What and when">
          <SelectField state={state} name="kind" label="Kind" options={EVENT_KINDS} />
          <TextField state={state} name="title" label="Title" required />
          <TextField state={state} name="starts_at" label="Starts (UTC)" type="datetime-local" />
          <TextField state={state} name="ends_at" label="Ends (UTC)" type="datetime-local" />
          <TextField
            state={state}
            name="lead_days"
            label="Lead days"
            type="number"
            hint="0–60 days before each window in which contacts already rise"
          />
          <TextField
            state={state}
            name="lag_days"
            label="Lag days"
            type="number"
            hint="0–60 days after it in which they still arrive"
          />
        </Card>
        <Card id="repeats" title="Repeats">
          <TextField
            state={state}
            name="rrule"
            label="Rule"
            hint="RFC 5545, e.g. FREQ=MONTHLY;BYMONTHDAY=1; empty: once"
            placeholder="FREQ=MONTHLY;BYMONTHDAY=1"
          />
          <TextField
            state={state}
            name="time_zone"
            label="Keeps its local time in"
            hint={`across daylight-saving changes; empty: ${props.workspaceZone}`}
            placeholder={props.workspaceZone}
          />
          <TextArea
            state={state}
            name="excluded_starts"
            label="Skipped starts"
            hint="one a line: a day (2026-12-24) in that zone, or a start in UTC (2026-12-24T09:00)"
          />
          <TextArea
            state={state}
            name="extra_starts"
            label="Extra starts"
            hint="one a line, in UTC (2026-12-28T09:00), each as long as the first window"
          />
        </Card>
      </div>
      <Card id="reasons" title="Affected reasons">
        {props.reasons.length === 0 && kept.length === 0 ? (
          <p class="empty">No contact reasons yet: they arrive with tickets.</p>
        ) : (
          <Checkboxes
            state={state}
            name="affected_reasons"
            legend="Contacts for these reasons rise around the event"
            options={[...props.reasons.map((r) => [r.slug, r.label] as const), ...kept]}
          />
        )}
      </Card>
      <div class="actions">
        <button type="submit">{props.editing ? 'Save changes' : 'Add event'}</button>
        <a href="/console/events">Cancel</a>
      </div>
    </PostForm>
  );
};
