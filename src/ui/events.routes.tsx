import { formatInTimeZone } from 'date-fns-tz';
import { AppError, notFound } from '../http/app-error';
import { versionEtag } from '../http/etag';
import { actorOf } from '../http/principal';
import { type CalendarEntry, listCalendar } from '../modules/events/calendar-list.service';
import {
  type EventInput,
  type EventView,
  HOLIDAY_YEARS,
  HolidayImportSchema,
} from '../modules/events/event-schemas';
import { createEvent, deleteEvent, getEvent, updateEvent } from '../modules/events/events.service';
import { type HolidayImport, importHolidays } from '../modules/events/holidays.service';
import { type ReasonChoice, reasonChoices } from '../modules/reasons/reason-choices';
import { firstTicketWeek } from '../modules/reasons/ticket-weeks';
import { Card, Instant, Note, PageHeader, Pager, Pill, Table } from '../view-kit/components';
import { PostForm, TextField } from '../view-kit/fields';
import { emptyForm, type FormState } from '../view-kit/form-state';
import {
  type ConsoleContext,
  createConsoleRouter,
  done,
  fieldMessages,
  foundOr,
  isUuid,
  postedForm,
  render,
  signedIn,
} from './console-router';
import { EventForm, eventFromForm, formFromEvent } from './event-form';
import { type FormProblem, firstSegment, formPost, type Parsed } from './form-post';
import { mayOpen, PAGE_ROLES } from './layout';
import { ruleInWords } from './rule-in-words';

export const eventRoutes = createConsoleRouter();
const readers = signedIn(PAGE_ROLES.events);
const writers = signedIn(PAGE_ROLES.calendar);
const PAGE_SIZE = 100;
const pathId = (c: ConsoleContext) => c.req.param('id') ?? '';
const BACK = { href: '/console/events', label: 'Back to the events' };

/** An event named in a console path: a mistyped id is simply not found. */
const eventById = (c: ConsoleContext, id: string) =>
  foundOr(
    c,
    () => (isUuid(id) ? getEvent(c.var.deps, id) : Promise.reject(notFound(`Event ${id}`))),
    BACK,
  );

/** Reason labels by slug; a slug with no reason (renamed meanwhile) shows as itself. */
const labelOf = (reasons: ReasonChoice[]) => {
  const labels = new Map(reasons.map((r) => [r.slug, r.label]));
  return (slug: string) => labels.get(slug) ?? slug;
};

const DAY = 'EEE yyyy-MM-dd';
const atMidnight = (iso: string, zone: string) =>
  formatInTimeZone(new Date(iso), zone, 'HH:mm:ss.SSS') === '00:00:00.000';

/**
 * An imported holiday by its days where it is one: from midnight to midnight in New York is
 * 05:00 to 05:00 UTC, which said as a time would look like a mistake.
 */
const HolidayDays = (props: {
  event: EventView;
  holiday: { place: string; zone: string | null };
}) => {
  const { event, holiday } = props;
  const where = `${holiday.place} holidays`;
  const zone = holiday.zone;
  if (!zone || !atMidnight(event.starts_at, zone) || !atMidnight(event.ends_at, zone)) {
    return (
      <>
        {where}
        <br />
        <Instant at={event.starts_at} />
      </>
    );
  }
  const first = formatInTimeZone(new Date(event.starts_at), zone, DAY);
  const last = formatInTimeZone(new Date(new Date(event.ends_at).getTime() - 1), zone, DAY);
  return (
    <>
      {last === first ? first : `${first} to ${last}`}
      <br />
      all day, {where} ({zone})
    </>
  );
};

/** When an event happens: a series in words with its next window, a one-off event by its day. */
const When = (props: { event: CalendarEntry; zone: string }) => {
  const { event } = props;
  const zone = event.time_zone ?? props.zone;
  if (event.holiday && !event.rrule) return <HolidayDays event={event} holiday={event.holiday} />;
  if (!event.rrule) {
    return (
      <>
        {formatInTimeZone(new Date(event.starts_at), zone, DAY)}
        <br />
        <Instant at={event.starts_at} />
      </>
    );
  }
  return (
    <>
      {ruleInWords(event.rrule, event.starts_at, zone)}
      <br />
      {event.next === 'unknown' ? (
        'next start not worked out (its rule takes too long to walk there)'
      ) : event.next ? (
        <>
          next <Instant at={event.next.starts_at} />
        </>
      ) : (
        'no more occurrences'
      )}
    </>
  );
};

async function listPage(c: ConsoleContext, holidays?: FormState, problem?: FormProblem) {
  const { deps, session } = c.var;
  const cursor = c.req.query('cursor') || undefined;
  const [page, reasons, firstWeek] = await Promise.all([
    listCalendar(deps, { limit: PAGE_SIZE, cursor }).catch((error: unknown) => {
      if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
      return error;
    }),
    reasonChoices(deps),
    holidays ? null : firstTicketWeek(deps),
  ]);
  if (page instanceof AppError) return brokenLink(c, page.detail);
  const label = labelOf(reasons);
  const writer = mayOpen(session, 'calendar');
  const zone = deps.config.workspaceTimeZone;
  const now = deps.clock.now();
  const holidayForm = {
    ...(holidays ?? emptyForm(holidayYears(firstWeek, now))),
    idPrefix: 'holiday-',
  };
  return render(
    c,
    'Events',
    <>
      <PageHeader
        title="Events"
        meta={`Recurring series first, then what is coming, then what is past. Times in UTC; days in ${zone} or the event's own zone, a holiday's where it is one.`}
      >
        {writer ? (
          <p>
            <a href="/console/events/new">Add an event</a>
          </p>
        ) : (
          ''
        )}
      </PageHeader>
      <Table
        rows={page.data}
        empty={
          writer
            ? 'Nothing on the calendar yet. Add an event, or import public holidays below.'
            : 'Nothing on the calendar yet.'
        }
        columns={[
          {
            header: 'Title',
            cell: (e) =>
              writer ? (
                <a href={`/console/events/${e.id}/edit`}>{e.title}</a>
              ) : (
                <bdi>{e.title}</bdi>
              ),
          },
          { header: 'Kind', cell: (e) => <Pill>{e.kind}</Pill> },
          { header: 'When', cell: (e) => <When event={e} zone={zone} /> },
          {
            header: 'Affected reasons',
            cell: (e) => e.affected_reasons.map(label).join(', ') || '—',
          },
          { header: 'Lead / lag days', cell: (e) => `${e.lead_days} / ${e.lag_days}` },
          { header: 'Source', cell: (e) => <Pill>{e.origin}</Pill> },
          ...(writer
            ? [
                {
                  header: '',
                  cell: (e: CalendarEntry) => (
                    <>
                      <a href={`/console/events/${e.id}/edit`}>Edit</a>{' '}
                      <a href={`/console/events/${e.id}/delete`}>Delete</a>
                    </>
                  ),
                },
              ]
            : []),
        ]}
      />
      <Pager
        first={cursor ? '/console/events' : undefined}
        next={page.next_cursor ? `/console/events?cursor=${page.next_cursor}` : undefined}
      />
      {writer ? <HolidaysForm csrf={session.csrfToken} state={holidayForm} /> : ''}
    </>,
    {
      status: problem?.status,
      flash: problem ? { ok: false, text: problem.summary } : undefined,
    },
  );
}

/** A page link whose cursor the list did not hand out (mistyped, cut short, forged). */
const brokenLink = (c: ConsoleContext, text: string) =>
  render(
    c,
    'Events',
    <>
      <PageHeader title="Events" />
      <p>
        <a href="/console/events">First page</a>
      </p>
    </>,
    { status: 400, flash: { ok: false, text } },
  );

const HolidaysForm = (props: { csrf: string; state: FormState }) => (
  <Card id="holidays" title="Import public holidays">
    <PostForm action="/console/events/holidays" csrf={props.csrf} class="narrow">
      <TextField
        state={props.state}
        name="country"
        label="Country"
        required
        placeholder="DE"
        hint="two-letter code"
      />
      <TextField
        state={props.state}
        name="region"
        label="Region"
        placeholder="NY"
        hint="optional: a state or province code; empty: the country's nationwide holidays"
      />
      <TextField state={props.state} name="from_year" label="From year" type="number" required />
      <TextField
        state={props.state}
        name="to_year"
        label="To year"
        type="number"
        hint={`optional: the last year to import, at most ${HOLIDAY_YEARS.atOnce} years in all`}
      />
      <button type="submit">Import</button>
    </PostForm>
  </Card>
);

/** Where the form posts; `origin` names the import an edited event came from. */
type FormPlace = { action: string; editing: boolean; origin?: string };

async function formPage(
  c: ConsoleContext,
  state: FormState,
  place: FormPlace,
  problem?: FormProblem,
) {
  const title = place.editing ? 'Edit event' : 'Add an event';
  return render(
    c,
    title,
    <>
      <PageHeader title={title} meta="Times in UTC, as everywhere in the console." />
      {place.origin && place.origin !== 'manual' ? (
        <Note>
          Imported ({place.origin}): importing the same{' '}
          {place.origin === 'ics' ? 'feed' : 'holidays'} again replaces what you change here.
        </Note>
      ) : (
        ''
      )}
      <EventForm
        csrf={c.var.session.csrfToken}
        state={state}
        action={place.action}
        editing={place.editing}
        reasons={await reasonChoices(c.var.deps)}
        workspaceZone={c.var.deps.config.workspaceTimeZone}
      />
    </>,
    {
      status: problem?.status,
      flash: problem ? { ok: false, text: problem.summary, link: problem.link } : undefined,
    },
  );
}

/**
 * The service's refusals of a rule that never occurs or a reason it does not know are 422s in
 * the API; on the form they are fields to fix, like any other.
 */
async function asFieldProblems<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const fieldProblem =
      error instanceof AppError &&
      (error.code === 'invalid_calendar' || error.code === 'unknown_reason');
    if (!fieldProblem) throw error;
    throw new AppError('validation_failed', error.detail, error.errors);
  }
}

const NEW: FormPlace = { action: '/console/events', editing: false };
const editPlace = (event: { id: string; origin?: string }): FormPlace => ({
  action: `/console/events/${event.id}/edit`,
  editing: true,
  origin: event.origin,
});

eventRoutes.get('/console/events', readers, (c) => listPage(c));

eventRoutes.get('/console/events/new', writers, (c) =>
  formPage(c, emptyForm({ kind: 'billing_run', lead_days: '0', lag_days: '0' }), NEW),
);

eventRoutes.post(
  '/console/events',
  writers,
  formPost(eventFromForm, {
    page: (c, state, problem) => formPage(c, state, NEW, problem),
    invalid: 'The event was not added.',
    once: true,
    toField: firstSegment,
    save: async (c, input) => {
      await asFieldProblems(() => createEvent(c.var.deps, input));
      return { to: '/console/events', message: `Added "${input.title}".` };
    },
  }),
);

eventRoutes.get('/console/events/:id/edit', writers, async (c) => {
  const read = await eventById(c, pathId(c));
  if ('page' in read) return read.page;
  return formPage(c, emptyForm(formFromEvent(read.found)), editPlace(read.found));
});

eventRoutes.post('/console/events/:id/edit', writers, async (c) => {
  const read = await eventById(c, pathId(c));
  if ('page' in read) return read.page;
  const { id } = read.found;
  return formPost(eventFromForm, {
    page: (c, state, problem) => formPage(c, state, editPlace(read.found), problem),
    invalid: 'Fix the fields marked below; nothing was saved.',
    toField: firstSegment,
    save: async (c, input, values) => {
      const opened = openedVersion(values.version, 'event');
      // The form does not show the audience: it is kept as stored at the version opened.
      const stored = await getEvent(c.var.deps, id);
      const event: EventInput = { ...input, audience: stored.audience };
      try {
        await asFieldProblems(() =>
          updateEvent(
            c.var.deps,
            id,
            event,
            actorOf(c.var.session.principal),
            [versionEtag(opened)],
            // Saved as opened, the form changes nothing, not even the version.
            { keepUnchanged: true },
          ),
        );
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'precondition_failed') throw error;
        return changedMeanwhile(c, id, values);
      }
      return { to: '/console/events', message: `Saved "${input.title}".` };
    },
  })(c);
});

/** The version a form was opened at; a form without one cannot say what it would overwrite. */
function openedVersion(value: string | undefined, what: string): number {
  if (value && /^[1-9][0-9]{0,9}$/.test(value)) return Number(value);
  throw new AppError(
    'validation_failed',
    `The form does not say which version of the ${what} it was opened at; reload it.`,
    [{ location: 'body', path: 'version', message: 'must be the version the form was opened at' }],
  );
}

/**
 * Someone saved the event after this form was opened: the form again, with what was typed and
 * the version now stored, so a second save replaces their change knowingly, never unseen.
 */
async function changedMeanwhile(c: ConsoleContext, id: string, values: Record<string, string>) {
  const stored = await getEvent(c.var.deps, id);
  return formPage(
    c,
    { values: { ...values, version: String(stored.version) }, errors: {} },
    editPlace(stored),
    {
      status: 409,
      summary:
        'This event changed since you opened it: someone else saved it meanwhile, and nothing ' +
        'of yours was saved. Your changes are kept below; saving them again replaces what ' +
        'they saved.',
      link: {
        href: `/console/events/${id}/edit`,
        label: 'Reload the form as it is saved now (your changes here are dropped).',
      },
    },
  );
}

/** Asks before deleting, naming the event; `problem` says why a delete was refused. */
function deletePage(
  c: ConsoleContext,
  event: EventView,
  version: number,
  problem?: { status: 400 | 409; text: string },
) {
  return render(
    c,
    `Delete ${event.title}`,
    <>
      <PageHeader title={`Delete "${event.title}"?`} />
      <p>
        <Pill>{event.kind}</Pill> <Pill>{event.origin}</Pill>{' '}
        {event.rrule
          ? `${ruleInWords(event.rrule, event.starts_at, event.time_zone ?? c.var.deps.config.workspaceTimeZone)}, from `
          : ''}
        <Instant at={event.starts_at} />
      </p>
      <p>
        Spike detection stops explaining contacts by it, and it leaves the calendar for good. Ended,
        cancelled and draft campaigns linked to it are unlinked; while a scheduled or active one is
        linked, or a draft whose email is timed by it, it cannot be deleted.
      </p>
      <PostForm action={`/console/events/${event.id}/delete`} csrf={c.var.session.csrfToken}>
        <input type="hidden" name="version" value={String(version)} />
        <div class="actions">
          <button type="submit" class="danger">
            Delete the event
          </button>
          <a href="/console/events">Keep it</a>
        </div>
      </PostForm>
    </>,
    problem ? { status: problem.status, flash: { ok: false, text: problem.text } } : {},
  );
}

eventRoutes.get('/console/events/:id/delete', writers, async (c) => {
  const read = await eventById(c, pathId(c));
  if ('page' in read) return read.page;
  return deletePage(c, read.found, read.found.version);
});

eventRoutes.post('/console/events/:id/delete', writers, async (c) => {
  const values = await postedForm(c);
  const read = await eventById(c, pathId(c));
  if ('page' in read) return read.page;
  const event = read.found;
  const opened = openedVersion(values.version, 'event');
  try {
    await deleteEvent(c.var.deps, event.id, actorOf(c.var.session.principal), [
      versionEtag(opened),
    ]);
  } catch (error) {
    if (error instanceof AppError && error.code === 'precondition_failed') {
      const stored = await getEvent(c.var.deps, event.id);
      return deletePage(c, stored, stored.version, {
        status: 409,
        text: 'This event changed since you opened this page; nothing was deleted. Look at it as it is now, and delete it again if you still mean to.',
      });
    }
    // Campaigns still need it (each named): a conflict, nothing deleted.
    const { summary, status } = fieldMessages(error);
    return deletePage(c, event, opened, { status, text: `Not deleted: ${summary}` });
  }
  return done(c, '/console/events', `Deleted "${event.title}".`);
});

/**
 * The years the form offers: from the first year with tickets (their weeks are what holidays
 * explain), or this one before any, to next year (the weeks to come).
 */
function holidayYears(firstWeek: string | null, now: Date): Record<string, string> {
  const next = now.getUTCFullYear() + 1;
  const first = firstWeek ? Number(firstWeek.slice(0, 4)) : next - 1;
  const from = Math.max(first, next - HOLIDAY_YEARS.atOnce + 1, HOLIDAY_YEARS.first);
  return { from_year: String(from), to_year: String(next) };
}

const holidaysInput = (values: Record<string, string>): Parsed<HolidayImport> => {
  const from = Number(values.from_year);
  const to = values.to_year?.trim() ? Number(values.to_year) : from;
  const country = (values.country ?? '').trim();
  const region = values.region?.trim() || undefined;
  const errors: Record<string, string> = {};
  if (!/^[A-Za-z]{2}$/.test(country))
    errors.country = 'Enter a two-letter country code such as DE or US.';
  // As the API takes it; whether the country has such a region is the service's to say.
  if (region !== undefined && !HolidayImportSchema.shape.region.safeParse(region).success)
    errors.region = 'Enter a region code of up to 10 characters, such as NY or BY, or none.';
  const inRange = (year: number) =>
    Number.isInteger(year) && year >= HOLIDAY_YEARS.first && year <= HOLIDAY_YEARS.last;
  const range = `between ${HOLIDAY_YEARS.first} and ${HOLIDAY_YEARS.last}`;
  if (!inRange(from)) errors.from_year = `Enter a year ${range}.`;
  if (!inRange(to)) errors.to_year = `Enter a year ${range}, or none for the first year alone.`;
  else if (inRange(from) && to < from) errors.to_year = 'Enter a year from the first year on.';
  else if (inRange(from) && to - from + 1 > HOLIDAY_YEARS.atOnce)
    errors.to_year = `Import at most ${HOLIDAY_YEARS.atOnce} years at once.`;
  if (Object.keys(errors).length > 0) return { errors };
  const years = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return { data: { country, region, years } };
};

eventRoutes.post(
  '/console/events/holidays',
  writers,
  formPost(holidaysInput, {
    page: (c, holidays, problem) => listPage(c, holidays, problem),
    invalid: 'Nothing was imported.',
    save: async (c, input) => {
      const result = await importHolidays(c.var.deps, input);
      const message =
        `Holidays: ${result.imported} added, ${result.updated} changed, ` +
        `${result.unchanged} already as stored.`;
      return { to: '/console/events', message };
    },
  }),
);
