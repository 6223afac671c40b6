import { z } from '@hono/zod-openapi';
import { CAMPAIGN_CHANNELS, EVENT_KINDS } from '../../db/schema';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import { inHeavyReadTurn } from '../../http/heavy-reads';
import { wholeNumberInput } from '../../http/number-input';
import { encodeKeyCursor, keyCursorSchema } from '../../http/pagination';
import { dayInput } from '../../http/time-input';
import { PATTERN_FDR } from './match-patterns';
import { findPatterns } from './patterns.service';

const NOT_ISSUED = 'Not a cursor this API issued: pass the `next_cursor` of the previous page.';

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
    p_value: z.number().openapi({
      description:
        "How likely contacts at least this far above the baseline over the occurrences' weeks " +
        "would be by chance: the reason's other weeks in the window set the baseline's level " +
        'and spread (one-sided).',
    }),
    q_value: z.number().openapi({
      description:
        'The p-value adjusted (Benjamini–Hochberg) across every event group and reason tested; ' +
        `a pattern is listed when it is at most ${PATTERN_FDR}.`,
    }),
    expected_contacts_next: z.number().openapi({
      description: 'Excess contacts expected at the next occurrence (mean of the last four).',
    }),
    next_occurrence: window.nullable(),
    evidence: z.array(
      window.extend({
        starts_at: z.string().openapi({
          description: "The occurrence's own start, as `GET /v1/events/occurrences` lists it.",
        }),
        window_starts_at: z.string().openapi({
          description: 'Where the weeks counted begin: the start less the lead days.',
        }),
        window_ends_at: z.string().openapi({
          description: 'Where the weeks counted end: the end plus the lag days.',
        }),
        observed: z.number(),
        expected: z.number(),
        excess: z.number(),
      }),
    ),
    suggestion: z.object({
      channels: z.array(z.enum(CAMPAIGN_CHANNELS)),
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
  description:
    'An event group is listed for a reason when its occurrences brought more contacts than the ' +
    'baseline leads one to expect, beyond chance at a false-discovery rate of ' +
    `${PATTERN_FDR} across every event group and reason tested (of the patterns listed, about ` +
    `${PATTERN_FDR * 100}% or fewer are expected to be chance), and the excess is regular and ` +
    'large enough to act on. Paginated by position in the ranking.',
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
      limit: wholeNumberInput(1, 200).default(50).openapi({ example: 50 }),
      cursor: keyCursorSchema
        .pipe(
          z
            .string()
            .regex(/^[1-9][0-9]{0,8}$/, { message: NOT_ISSUED })
            .transform(Number),
        )
        .optional()
        .openapi({ type: 'string', description: "The previous page's `next_cursor` (opaque)." }),
    }),
  },
  responses: {
    200: {
      description: 'Patterns with an upcoming occurrence first, by expected excess',
      content: json(
        z.object({
          from: z.string(),
          to: z.string(),
          false_discovery_rate: z.number(),
          pairs_tested: z.number().int().openapi({
            description: 'Event groups and reasons tested: what the q-values correct for.',
          }),
          patterns: z.array(PatternSchema),
          next_cursor: z.string().nullable().openapi({ description: 'Null on the last page.' }),
        }),
      ),
    },
  },
});

export const patternRoutes = createRouter().openapi(patternsRoute, async (c) => {
  const { limit, cursor: offset = 0, ...query } = c.req.valid('query');
  const found = await inHeavyReadTurn(c, () => findPatterns(c.var.deps, query));
  const end = offset + limit;
  return c.json(
    {
      ...found,
      patterns: found.patterns.slice(offset, end),
      next_cursor: end < found.patterns.length ? encodeKeyCursor(String(end)) : null,
    },
    200,
  );
});
