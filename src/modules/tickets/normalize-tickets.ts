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
  createdAt: Date;
  resolvedAt: Date | null;
  csat: number | null;
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
  inputs.forEach((input, index) => {
    const errorsBefore = errors.length;
    const fail = (field: string, message: string) =>
      errors.push({ location: 'body', path: context.pathOf(index, field), message });
    const createdAt = readTime(input.created_at, 'created_at');
    const resolvedAt = input.resolved_at ? readTime(input.resolved_at, 'resolved_at') : null;
    if (createdAt && resolvedAt && resolvedAt < createdAt) {
      fail('resolved_at', 'must not be before created_at');
    }
    const rawReasonKey = reasonKey(input.reason);
    if (!rawReasonKey) fail('reason', 'must contain a letter or digit that forms a reason slug');
    if (errors.length > errorsBefore || createdAt === undefined || resolvedAt === undefined) return;
    tickets.push({
      source: input.source,
      externalId: input.external_id,
      accountId: input.account_id,
      rawReasonKey,
      reasonLabel: input.reason,
      subReason: input.sub_reason,
      channel: input.channel,
      createdAt,
      resolvedAt,
      csat: input.csat,
    });

    function readTime(value: string, field: string): Date | undefined {
      const date = parseTicketTime(value, context.timeZone);
      if (!date) {
        fail(
          field,
          'must be an ISO 8601 date or date-time, e.g. 2025-01-09 or 2025-01-09T14:30:00Z',
        );
        return undefined;
      }
      const problem = ticketTimeProblem(date, context.now);
      if (problem) {
        fail(field, problem);
        return undefined;
      }
      return date;
    }
  });
  return { tickets, errors };
}
