import { z } from '@hono/zod-openapi';
import { DOT_SEGMENT_MESSAGE, isDotSegment, patternOf } from '../../http/text-input';

export const MAX_TICKETS_PER_BATCH = 5_000;
export const UNSPECIFIED_REASON = 'Unspecified';
export const MAX_REASON_LENGTH = 200;

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullish()
    .transform((value) => (value ? value : null));

const timestampText = z.string().trim().max(40).openapi({
  description:
    'ISO 8601. A date or date-time without an offset is read in the workspace time zone.',
  example: '2025-01-09T14:30:00Z',
});

export const LETTER_OR_DIGIT = /^$|[\p{L}\p{N}]/u;

export const TicketInputSchema = z
  .object({
    source: z.string().trim().min(1).max(100).openapi({ example: 'zendesk' }),
    external_id: z.string().trim().min(1).max(200).openapi({ example: '48213' }),
    // The account's id as the product's accounts (PUT /v1/accounts/{id}) would have it.
    account_id: z
      .string()
      .trim()
      .max(200)
      .refine((id) => !isDotSegment(id), DOT_SEGMENT_MESSAGE)
      .nullish()
      .transform((value) => (value ? value : null)),
    reason: z
      .string()
      .trim()
      .max(MAX_REASON_LENGTH)
      .regex(LETTER_OR_DIGIT, 'must contain a letter or digit')
      .openapi(patternOf(LETTER_OR_DIGIT))
      .nullish()
      // Untagged contacts still count (they are part of every rate): they get a reason too.
      .transform((value) => value || UNSPECIFIED_REASON)
      .openapi({
        example: 'Billing: double charge',
        description: `Missing or empty means "${UNSPECIFIED_REASON}".`,
      }),
    sub_reason: optionalText(200),
    channel: optionalText(50).openapi({ example: 'email' }),
    created_at: timestampText,
    resolved_at: timestampText.nullish().transform((value) => value || null),
    first_response_at: timestampText
      .nullish()
      .transform((value) => value || null)
      .openapi({
        description:
          'When an agent first answered (not before created_at). The earliest one sent is ' +
          'kept: a later copy of the ticket without it, or with a later one, leaves it.',
      }),
    csat: z
      .number()
      .int()
      .min(1)
      .max(5)
      .nullish()
      .transform((value) => value ?? null),
  })
  .openapi('TicketInput');

export type TicketInput = z.output<typeof TicketInputSchema>;

export const TicketBatchSchema = z
  .object({
    tickets: z.array(TicketInputSchema).min(1).max(MAX_TICKETS_PER_BATCH),
    store_anyway: z
      .boolean()
      .default(false)
      .openapi({
        description:
          '`true`: store the tickets looked up even though most of them have ids stored ' +
          'under another source (they are other tickets that share ids).',
      }),
    first_of_file: z
      .boolean()
      .default(false)
      .openapi({
        description:
          '`true`: this batch is the first of a file sent batch by batch (`npm run import` ' +
          'says so). Its tickets are looked up whatever their source, as the first rows of ' +
          '`POST /v1/tickets/import` are, so a file sent under a source with tickets stored ' +
          'already is refused too when its ids are stored under another.',
      }),
  })
  .openapi('TicketBatch');

export const IngestSummarySchema = z
  .object({
    received: z.number().int(),
    inserted: z.number().int().openapi({ description: 'Tickets stored for the first time.' }),
    updated: z
      .number()
      .int()
      .openapi({
        description:
          'Tickets sent with a change, counting each copy of a ticket in the batch that ' +
          'changes the one before it.',
      }),
    duplicates: z.number().int().openapi({
      description: 'Tickets sent as they were already stored (or sent just before).',
    }),
    rejected: z.number().int(),
    repeated: z
      .number()
      .int()
      .openapi({
        description:
          'Of the updated and duplicates, rows that repeated a ticket (source and id) sent ' +
          'before them in the same batch; the last copy is stored. An import counts them ' +
          'within each 2,000 rows it takes at a time.',
      }),
  })
  .openapi('IngestSummary');

export type IngestSummary = z.infer<typeof IngestSummarySchema>;

export const emptySummary = (): IngestSummary => ({
  received: 0,
  inserted: 0,
  updated: 0,
  duplicates: 0,
  rejected: 0,
  repeated: 0,
});

/** Adds `part` into `total`: imports and the import command sum batch after batch. */
export function addSummary(total: IngestSummary, part: IngestSummary): void {
  for (const key of [
    'received',
    'inserted',
    'updated',
    'duplicates',
    'rejected',
    'repeated',
  ] as const) {
    total[key] += part[key];
  }
}
