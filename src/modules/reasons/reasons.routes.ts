import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { inHeavyReadTurn } from '../../http/heavy-reads';
import { wholeNumberInput } from '../../http/number-input';
import { keyCursorSchema, pageSchema } from '../../http/pagination';
import { actorOf } from '../../http/principal';
import { oneLineText } from '../../http/text-input';
import { dayInput } from '../../http/time-input';
import { REASON_SLUG_PATTERN } from './reason-key';
import { ReasonSchema, WeeklySchema } from './reason-schemas';
import { getReason, listReasons, putReason } from './reasons.service';
import { weeklySeries } from './weekly-series.service';

const SlugParamSchema = z.object({
  slug: z
    .string()
    .max(100)
    .regex(REASON_SLUG_PATTERN, 'must be a lowercase slug such as billing-double-charge')
    .openapi({ param: { name: 'slug', in: 'path' }, example: 'billing-double-charge' }),
});

const PutReasonSchema = z
  .object({
    label: oneLineText(200),
    aliases: z
      .array(z.string().trim().min(1).max(200))
      .max(500)
      .optional()
      .openapi({
        description:
          'Raw reasons (tags, field values) that mean this reason. Replaces the current set; ' +
          'tickets already ingested under them move here.',
      }),
  })
  .openapi('PutReason');

const isoDate = dayInput().openapi({ example: '2025-01-06' });

const readers = { roles: ['ops', 'analyst'] } as const;

const listRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/reasons',
  tags: ['Contact reasons'],
  summary: 'Contact reasons with their aliases and volume',
  request: {
    query: z.object({
      limit: wholeNumberInput(1, 200).default(50),
      cursor: keyCursorSchema.optional(),
    }),
  },
  responses: {
    200: {
      description: 'A page of reasons by slug',
      content: json(pageSchema(ReasonSchema)),
    },
  },
});

const weeklyRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/reasons/weekly',
  tags: ['Contact reasons'],
  summary: 'Contacts per reason per ISO week (workspace time zone), zero-filled',
  request: {
    query: z.object({
      from: isoDate.optional().openapi({ description: 'Default: 12 weeks before `to`.' }),
      to: isoDate.optional().openapi({
        description: 'Default: the latest week with tickets (the current week before any).',
      }),
      reason: z.string().max(2000).optional().openapi({
        description:
          'Comma-separated slugs, labels or aliases; default: the top reasons by volume.',
      }),
      top: wholeNumberInput(1, 100).default(10),
    }),
  },
  responses: {
    200: { description: 'The series', content: json(WeeklySchema) },
    404: problemResponse('A named reason does not exist.'),
  },
});

const getRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/reasons/{slug}',
  tags: ['Contact reasons'],
  summary: 'One contact reason',
  request: { params: SlugParamSchema },
  responses: {
    200: { description: 'The reason', content: json(ReasonSchema) },
    404: problemResponse(
      'No such reason, or it is an alias of another (the detail names it): an alias is read ' +
        'through the reason it joins.',
    ),
  },
});

const putRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'put',
  path: '/v1/reasons/{slug}',
  tags: ['Contact reasons'],
  summary: 'Create or update a reason and its aliases (applied retroactively)',
  request: {
    params: SlugParamSchema,
    body: { required: true, content: json(PutReasonSchema) },
  },
  responses: {
    200: { description: 'Updated', content: json(ReasonSchema) },
    201: { description: 'Created', content: json(ReasonSchema) },
    409: problemResponse(
      'The reason is an alias of another (change that one), or an alias named has aliases of ' +
        'its own.',
    ),
  },
});

export const reasonRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    return c.json(await inHeavyReadTurn(c, () => listReasons(c.var.deps, query)), 200);
  })
  .openapi(weeklyRoute, async (c) => {
    const { reason, ...query } = c.req.valid('query');
    const reasons = reason
      ?.split(',')
      .map((slug) => slug.trim())
      .filter(Boolean);
    const series = await inHeavyReadTurn(c, () => weeklySeries(c.var.deps, { ...query, reasons }));
    return c.json(series, 200);
  })
  .openapi(getRoute, async (c) =>
    c.json(await getReason(c.var.deps, c.req.valid('param').slug), 200),
  )
  .openapi(putRoute, async (c) => {
    const { reason, created } = await putReason(
      c.var.deps,
      c.req.valid('param').slug,
      c.req.valid('json'),
      actorOf(c.var.principal),
    );
    return created ? c.json(reason, 201) : c.json(reason, 200);
  });
