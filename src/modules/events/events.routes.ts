import { z } from '@hono/zod-openapi';
import { fromZonedTime } from 'date-fns-tz';
import { EVENT_KINDS } from '../../db/schema';
import { createRouter } from '../../http/create-router';
import { defineRoute, etagHeader, json, problemResponse } from '../../http/define-route';
import { versionEtag } from '../../http/etag';
import { inHeavyReadTurn } from '../../http/heavy-reads';
import { unlessNotModified } from '../../http/not-modified';
import { wholeNumberInput } from '../../http/number-input';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { actorOf } from '../../http/principal';
import { serializedJson } from '../../http/serialized-json';
import { dayInput } from '../../http/time-input';
import {
  EventInputSchema,
  EventSchema,
  HolidayImportSchema,
  instant,
  OccurrenceSchema,
} from './event-schemas';

// The console's event form (src/ui) imports the input schema from here.
export { EventInputSchema };

import type { Occurrence } from './event-schemas';
import {
  createEvent,
  deleteEvent,
  getEvent,
  listEvents,
  occurrencesJson,
  updateEvent,
} from './events.service';
import { importHolidays } from './holidays.service';
import {
  MAX_FEED_EVENTS,
  MAX_FEED_EXCEPTION_DATES,
  MAX_FEED_RULES,
  MAX_UID_LENGTH,
} from './ics-feed';
import { importIcs } from './ics-import.service';
import { MAX_FEED_ZONE_CHANGES } from './ics-time-zones';

const IdParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const ops = { roles: ['ops'] } as const;
const readers = { roles: ['ops', 'analyst'] } as const;
const tags = ['Predictable events'];

const createRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  path: '/v1/events',
  tags,
  summary: 'Add a predictable event (optionally recurring)',
  request: { body: { required: true, content: json(EventInputSchema) } },
  responses: { 201: { description: 'Created', content: json(EventSchema), headers: etagHeader } },
});

const listRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/events',
  tags,
  summary: 'List events',
  request: { query: PageQuerySchema.extend({ kind: z.enum(EVENT_KINDS).optional() }) },
  responses: { 200: { description: 'A page of events', content: json(pageSchema(EventSchema)) } },
});

const occurrencesRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/events/occurrences',
  tags,
  summary: 'Every event window in a date range, recurrences expanded',
  description:
    'Occurrences whose window touches [`from`, `to`); a day (YYYY-MM-DD) is its midnight in ' +
    'the workspace time zone (`WORKSPACE_TIME_ZONE`), as in reports and weekly series. ' +
    'Recurring events keep their local time in that zone, or in their own `time_zone`, across ' +
    'daylight-saving changes, skip their `excluded_starts` and add their `extra_starts`. ' +
    'At most two years at a time and 5,000 occurrences; a range whose expansion would take ' +
    'too long is refused with 422 `range_too_large`.',
  request: {
    query: z.object({
      from: instant.or(dayInput()),
      to: instant.or(dayInput()),
      kind: z.enum(EVENT_KINDS).optional(),
    }),
  },
  responses: {
    200: {
      description: 'Occurrences, earliest first',
      content: json(z.object({ data: z.array(OccurrenceSchema) })),
    },
    422: problemResponse('The range is too long, or too costly to expand.'),
  },
});

const getRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/events/{id}',
  tags,
  summary: 'One event',
  description: 'Send `If-None-Match` with the last `ETag` to get a 304 while it is unchanged.',
  revalidated: true,
  request: { params: IdParams },
  responses: {
    200: { description: 'The event', content: json(EventSchema), headers: etagHeader },
    404: problemResponse('No such event.'),
  },
});

const putRoute = defineRoute({
  access: ops,
  method: 'put',
  idempotent: true,
  conditional: true,
  path: '/v1/events/{id}',
  tags,
  summary: 'Replace an event',
  description:
    'Campaigns linked to the event follow it in the same transaction: the queued emails of ' +
    'each scheduled or active one are planned again (send time and the event time they show; ' +
    'sent emails stay as sent), and each whose plan moved gets an `event_moved` audit entry. ' +
    'A campaign’s own window does not follow the event. ' +
    'A PUT that moves a recurring event (a new `starts_at` or `time_zone`) and sends ' +
    '`excluded_starts` as stored moves each with the series (see the field); `extra_starts` ' +
    'are instants of their own (RFC 5545 RDATE) and stay where they are, as sent: an extra ' +
    'release at 21:00, or a hotfix at 13:00, keeps its time when the weekly release moves to ' +
    '22:00. To move them too, send them moved. A move sent again reads the moved series and ' +
    'stores its `excluded_starts` as sent, which no longer name its starts: send the ' +
    '`ETag` it was read with as `If-Match`, so a move sent again is refused with 412 (the ' +
    'series has moved, its version with it), or an `Idempotency-Key`, so a retried move gets ' +
    'the first answer instead.',
  request: { params: IdParams, body: { required: true, content: json(EventInputSchema) } },
  responses: {
    200: { description: 'Updated', content: json(EventSchema), headers: etagHeader },
    404: problemResponse('No such event.'),
    409: problemResponse(
      'A campaign times its queued emails by this event and the change leaves no occurrence ' +
        'to time them by, or the event changed each time its excluded starts were moved; ' +
        'nothing was saved.',
    ),
  },
});

const deleteRoute = defineRoute({
  access: ops,
  method: 'delete',
  conditional: true,
  path: '/v1/events/{id}',
  tags,
  summary: 'Delete an event',
  description:
    'Refused with 409 `conflict` while a scheduled or active campaign is linked to the event, ' +
    'or a draft whose email is timed by it (`before_event`): end, cancel or unlink them first. ' +
    'Ended, cancelled and other draft campaigns are unlinked (`event_id` null), each with a new ' +
    'version and an `event_deleted` audit entry.',
  request: { params: IdParams },
  responses: {
    204: { description: 'Deleted' },
    404: problemResponse('No such event.'),
    409: problemResponse('Campaigns still need the event (each named); nothing was deleted.'),
  },
});

const holidaysRoute = defineRoute({
  access: ops,
  method: 'post',
  path: '/v1/events/holidays',
  tags,
  summary: "Import a country's public holidays as events",
  request: {
    body: {
      required: true,
      content: json(HolidayImportSchema),
    },
  },
  responses: {
    200: {
      description: 'How many holidays were added, changed, or found as stored already',
      content: json(
        z.object({
          imported: z.number().int(),
          updated: z.number().int(),
          unchanged: z.number().int(),
        }),
      ),
    },
  },
});

const icsRoute = defineRoute({
  access: ops,
  method: 'post',
  path: '/v1/events/ics',
  tags,
  summary: 'Import the events of an iCalendar (.ics) feed',
  description:
    'One event per VEVENT, keyed by its UID, so sending the feed again updates them. RRULEs ' +
    'are kept; a TZID that is an IANA name, or a Windows one as Outlook writes them ' +
    '(`W. Europe Standard Time` is `Europe/Berlin`), is read by the IANA database and kept ' +
    "as the event's `time_zone` (the zone its recurrences keep their local time in), any other is " +
    "read by the feed's own VTIMEZONE (which applies to that feed only); floating times and " +
    'all-day dates are read in the workspace time zone. A recurring event keeps its EXDATEs ' +
    'as `excluded_starts` (a DATE value as its day) and its RDATEs as `extra_starts`, read as ' +
    'DTSTART is. Cancelled events, changed single occurrences (RECURRENCE-ID), EXDATE or ' +
    'RDATE without an RRULE, RDATE periods (VALUE=PERIOD) and RDATE dates on a timed event ' +
    `are skipped and listed. A feed may have at most ${MAX_FEED_EVENTS} VEVENTs, ` +
    `${MAX_FEED_RULES} of them with an RRULE, ${MAX_FEED_EXCEPTION_DATES} EXDATE and RDATE ` +
    `values, and ${MAX_FEED_ZONE_CHANGES} STANDARD and DAYLIGHT parts in its VTIMEZONEs ` +
    '(413 beyond). A VEVENT is held to the limits of `POST /v1/events` (such as ' +
    `the length of an RRULE) and a UID of at most ${MAX_UID_LENGTH} characters; a feed with an ` +
    'invalid VEVENT, or two VEVENTs with one UID (besides changed occurrences), is refused ' +
    'whole with 422 naming each problem.',
  request: {
    query: z.object({
      kind: z.enum(EVENT_KINDS).default('other').openapi({ description: 'Kind of every event.' }),
      lead_days: wholeNumberInput(0, 60).default(0),
      lag_days: wholeNumberInput(0, 60).default(0),
    }),
    body: {
      required: true,
      content: { 'text/calendar': { schema: z.string().openapi({ format: 'binary' }) } },
    },
  },
  responses: {
    200: {
      description: 'How many events were added or refreshed, and what was skipped',
      content: json(
        z
          .object({
            imported: z.number().int(),
            updated: z.number().int(),
            skipped: z.array(
              z.object({ location: z.string(), path: z.string(), message: z.string() }),
            ),
          })
          .openapi('IcsImportResult'),
      ),
    },
    413: problemResponse(
      'The body, or the feed (VEVENTs, RRULEs, EXDATE and RDATE values, VTIMEZONE parts), is ' +
        'too large.',
    ),
    422: problemResponse('A VEVENT is invalid, or two share a UID; nothing was imported.'),
  },
});

/** An instant as given, or a day as its midnight in the workspace's zone. */
const asDate = (value: string, timeZone: string) =>
  value.length === 10 ? fromZonedTime(`${value}T00:00:00`, timeZone) : new Date(value);

export const eventRoutes = createRouter()
  .openapi(createRoute, async (c) => {
    const event = await createEvent(c.var.deps, c.req.valid('json'));
    return c.json(event, 201, { ETag: versionEtag(event.version) });
  })
  .openapi(listRoute, async (c) => c.json(await listEvents(c.var.deps, c.req.valid('query')), 200))
  .openapi(occurrencesRoute, async (c) => {
    const { from, to, kind } = c.req.valid('query');
    const zone = c.var.deps.config.workspaceTimeZone;
    const json = await inHeavyReadTurn(c, () =>
      occurrencesJson(c.var.deps, {
        from: asDate(from, zone),
        to: asDate(to, zone),
        kind,
        limits: 'api',
      }),
    );
    return serializedJson<{ data: Occurrence[] }>(c, json);
  })
  .openapi(holidaysRoute, async (c) =>
    c.json(await importHolidays(c.var.deps, c.req.valid('json')), 200),
  )
  .openapi(icsRoute, async (c) =>
    c.json(
      await importIcs(
        c.var.deps,
        await c.req.text(),
        c.req.valid('query'),
        actorOf(c.var.principal),
      ),
      200,
    ),
  )
  .openapi(getRoute, async (c) => {
    const event = await getEvent(c.var.deps, c.req.valid('param').id);
    return unlessNotModified(c, versionEtag(event.version), () => c.json(event, 200));
  })
  .openapi(putRoute, async (c) => {
    const event = await updateEvent(
      c.var.deps,
      c.req.valid('param').id,
      c.req.valid('json'),
      actorOf(c.var.principal),
      c.var.ifMatch,
    );
    return c.json(event, 200, { ETag: versionEtag(event.version) });
  })
  .openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteEvent(c.var.deps, id, actorOf(c.var.principal), c.var.ifMatch);
    return c.body(null, 204);
  });
