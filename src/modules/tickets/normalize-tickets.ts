import type { FieldError } from '../../http/app-error';
import { reasonKey } from '../reasons/reason-key';
import type { TicketInput } from './ticket-input';
import { parseTicketTime, ticketTimeProblem } from './ticket-time';

/** A ticket ready to store; the reason is still raw (aliases are resolved in the transaction). */
export type NormalizedTicket = {
  source: string;
  externalId: string;
  accountId: string | null;
  rawReasonKey: string;
  reasonLabel: string;
  subReason: string | null;
  channel: string | null;
  /** ISO 8601 instants in UTC. */
  createdAt: string;
  resolvedAt: string | null;
  firstResponseAt: string | null;
  csat: number | null;
  /** When the source last changed the ticket (a webhook's event); null from the API and CSV. */
  sourceUpdatedAt?: string | null;
};

/** Where a bad field is reported: `tickets.3.created_at` for the API, `line 12.opened` for CSV. */
export type PathOf = (index: number, field: string) => string;

/** The valid tickets, and every bad field of the others. */
export type NormalizeResult = { tickets: NormalizedTicket[]; errors: FieldError[] };

/** Checks what the schema cannot (time zones, ranges, order) and reports every bad field. */
export function normalizeTickets(
  inputs: TicketInput[],
  context: { timeZone: string; now: Date; pathOf: PathOf },
): NormalizeResult {
  const errors: FieldError[] = [];
  const tickets: NormalizedTicket[] = [];
  let index = 0;
  const fail = (field: string, message: string) =>
    errors.push({ location: 'body', path: context.pathOf(index, field), message });
  // A plain loop with no closure per ticket: batches hold thousands of them.
  for (; index < inputs.length; index++) {
    const input = inputs[index];
    if (!input) continue;
    const errorsBefore = errors.length;
    const createdAt = readTime(input.created_at, context);
    if (typeof createdAt === 'string') fail('created_at', createdAt);
    const resolvedAt = input.resolved_at ? readTime(input.resolved_at, context) : null;
    if (typeof resolvedAt === 'string') fail('resolved_at', resolvedAt);
    if (createdAt instanceof Date && resolvedAt instanceof Date && resolvedAt < createdAt) {
      fail('resolved_at', 'must not be before created_at');
    }
    const firstResponseAt = input.first_response_at
      ? readTime(input.first_response_at, context)
      : null;
    if (typeof firstResponseAt === 'string') fail('first_response_at', firstResponseAt);
    if (
      createdAt instanceof Date &&
      firstResponseAt instanceof Date &&
      firstResponseAt < createdAt
    ) {
      fail('first_response_at', 'must not be before created_at');
    }
    const rawReasonKey = reasonKey(input.reason);
    if (!rawReasonKey) fail('reason', 'must contain a letter or digit that forms a reason slug');
    if (errors.length > errorsBefore || !(createdAt instanceof Date)) continue;
    tickets.push({
      source: input.source,
      externalId: input.external_id,
      accountId: input.account_id,
      rawReasonKey,
      reasonLabel: input.reason,
      subReason: input.sub_reason,
      channel: input.channel,
      createdAt: isoOf(createdAt, input.created_at),
      resolvedAt: resolvedAt instanceof Date ? isoOf(resolvedAt, input.resolved_at ?? '') : null,
      firstResponseAt:
        firstResponseAt instanceof Date
          ? isoOf(firstResponseAt, input.first_response_at ?? '')
          : null,
      csat: input.csat,
    });
  }
  return { tickets, errors };
}

// What `toISOString` would print, so a timestamp sent that way is kept as it is.
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

const isoOf = (date: Date, text: string) => (CANONICAL_UTC.test(text) ? text : date.toISOString());

/** The instant, or what is wrong with the text. */
function readTime(value: string, context: { timeZone: string; now: Date }): Date | string {
  const date = parseTicketTime(value, context.timeZone);
  if (!date)
    return 'must be an ISO 8601 date or date-time, e.g. 2025-01-09 or 2025-01-09T14:30:00Z';
  return ticketTimeProblem(date, context.now) ?? date;
}
