import { z } from '@hono/zod-openapi';
import { EVENT_KINDS } from '../../db/schema';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import { wholeNumberInput } from '../../http/number-input';
import { dayInput } from '../../http/time-input';
import { findPatterns } from './patterns.service';

const window = z.object({ title: z.string(), starts_at: z.string(), ends_at: z.string() });

const PatternSchema = z
  .object({
    group: z.object({
      type: z.enum(['event', 'kind']).openapi({
        description: 'event: one recurring event; kind: every one-off event of a kind.',
      }),
      event_id: z.uuid().nullable(),
      kind: z.enum(EVENT_KINDS),
      title: z.string(),
    }),
    reason: z.string(),
    label: z.string(),
    occurrences_seen: z
      .number()
      .int()
      .openapi({
        description:
          'Occurrences with tested weeks in the window; occurrences in a row that touch the same ' +
          'weeks (a daily job) count once, as one piece of evidence.',
      }),
    occurrences_with_excess: z.number().int(),
    expected_contacts_next: z.number().openapi({
      description: 'Excess contacts expected at the next occurrence (mean of the last four).',
    }),
    next_occurrence: window.nullable(),
    evidence: z.array(
      window.extend({ observed: z.number(), expected: z.number(), excess: z.number() }),
    ),
    suggestion: z.object({
      channels: z.array(z.enum(['banner', 'status', 'email'])),
      start_days_before: z.number().int(),
      audience: z.object({ description: z.string(), rule: z.record(z.string(), z.unknown()) }),
    }),
  })
  .openapi('Pattern');

const patternsRoute = defineRoute({
  access: { roles: ['ops', 'analyst'] },
  method: 'get',
  path: '/v1/patterns',
  tags: ['Spikes'],
  summary: 'Preventable patterns: events that keep bringing excess contacts, ranked',
  request: {
    query: z.object({
      weeks: wholeNumberInput(8, 520).default(104).openapi({
        description: 'How many past weeks to learn from.',
      }),
      as_of: dayInput()
        .optional()
        .openapi({
          description:
            'Look back from this date; default: the last week with tickets, or the last week of ' +
            'their usual volume when they trail off after it.',
        }),
    }),
  },
  responses: {
    200: {
      description: 'Patterns with an upcoming occurrence first, by expected excess',
      content: json(
        z.object({ from: z.string(), to: z.string(), patterns: z.array(PatternSchema) }),
      ),
    },
  },
});

export const patternRoutes = createRouter().openapi(patternsRoute, async (c) =>
  c.json(await findPatterns(c.var.deps, c.req.valid('query')), 200),
);
