import { z } from '@hono/zod-openapi';
import { cutToLength } from '../../lib/display-line';
import { reasonKey } from '../reasons/reason-key';
import type { Removal } from '../tickets/remove-tickets.service';
import { MAX_REASON_LENGTH } from '../tickets/ticket-input';

/**
 * A Zendesk id (tickets, organizations, users are 64-bit integers). As a JSON number it must
 * be one JavaScript reads exactly: a larger one would be rounded, and two tickets could then
 * share an id; such an id arrives as a string.
 */
const ZendeskId = z.union([
  z.string(),
  z
    .number()
    .refine(
      Number.isSafeInteger,
      'a number id must be a whole number up to 2^53; send it as a string',
    ),
]);

/** The parts of Zendesk's ticket events (`zen:event-type:ticket.*`) that forestall reads. */
export const ZendeskEventSchema = z
  .object({
    type: z.string(),
    id: z.string().optional(),
    /** When the event happened: for a comment, when it was added. */
    time: z.string().max(40).optional(),
    detail: z
      .object({
        id: ZendeskId.transform(String),
        created_at: z.string(),
        /** When the ticket last changed: orders the events, which Zendesk may deliver out of order. */
        updated_at: z.string().max(40).nullish(),
        status: z.string().max(40).nullish(),
        organization_id: ZendeskId.nullish(),
        requester_id: ZendeskId.nullish(),
        tags: z.array(z.string()).nullish(),
        via: z.object({ channel: z.string().nullish() }).nullish(),
      })
      .passthrough(),
    event: z
      .object({
        comment: z
          .object({
            is_public: z.boolean().nullish(),
            author: z.object({ is_staff: z.boolean().nullish() }).passthrough().nullish(),
          })
          .passthrough()
          .nullish(),
      })
      .passthrough()
      .nullish(),
  })
  // Zendesk's events carry more than forestall reads (and gain fields): every level is open,
  // where a body of forestall's own API refuses keys it does not name (`strictBody`).
  .passthrough()
  .openapi('ZendeskTicketEvent');

export type ZendeskEvent = z.infer<typeof ZendeskEventSchema>;

export const TICKET_CREATED = 'zen:event-type:ticket.created';
export const COMMENT_ADDED = 'zen:event-type:ticket.comment_added';

/**
 * Changes to what forestall reads of a ticket (its reason from tags or its type, its account,
 * whether it is resolved): each event's `detail` holds the ticket as the change left it.
 */
export const TICKET_CHANGES: ReadonlySet<string> = new Set([
  'zen:event-type:ticket.status_changed',
  'zen:event-type:ticket.tags_changed',
  'zen:event-type:ticket.type_changed',
  'zen:event-type:ticket.organization_changed',
  'zen:event-type:ticket.requester_changed',
]);

/**
 * Events after which a ticket is no contact: a deleted ticket or spam was never a customer's
 * question, and a merged ticket is counted once, as the ticket it was merged into.
 */
const TICKET_REMOVALS: ReadonlyMap<string, Removal> = new Map([
  ['zen:event-type:ticket.soft_deleted', 'deleted'],
  ['zen:event-type:ticket.permanently_deleted', 'deleted'],
  ['zen:event-type:ticket.marked_as_spam', 'spam'],
  ['zen:event-type:ticket.merged', 'merged'],
]);

/** A deleted ticket restored: a contact again, stored as its `detail` shows it. */
export const TICKET_UNDELETED = 'zen:event-type:ticket.undeleted';

/**
 * Why the event removes its ticket from the contacts, if it does. Zendesk closes the ticket
 * merged away; a merge event showing an open ticket is about the one kept, which stays.
 */
export function zendeskRemoval(event: ZendeskEvent): Removal | undefined {
  const removal = TICKET_REMOVALS.get(event.type);
  if (removal === 'merged' && event.detail.status?.trim().toLowerCase() !== 'closed') {
    return undefined;
  }
  return removal;
}

/** A public comment by an agent: the ticket's first response, if none came before it. */
export const isAgentReply = (event: ZendeskEvent) =>
  event.type === COMMENT_ADDED &&
  event.event?.comment?.is_public === true &&
  event.event.comment.author?.is_staff === true &&
  typeof event.time === 'string';

/**
 * Maps the event to a ticket. The reason comes from the first tag with a prefix
 * (`tag:reason_` reads `reason_billing` as "billing") or from a detail field (`field:type`);
 * the account is the organization, or the requester when there is none.
 */
export function zendeskTicket(event: ZendeskEvent, reasonFrom: string) {
  const { detail } = event;
  const [mode, name = ''] = reasonFrom.split(':', 2);
  const reason =
    mode === 'tag'
      ? detail.tags?.find((tag) => tag.startsWith(name))?.slice(name.length)
      : Object.hasOwn(detail, name)
        ? stringOf(Reflect.get(detail, name))
        : undefined;
  const organization = stringOf(detail.organization_id);
  return {
    source: 'zendesk',
    external_id: detail.id,
    account_id:
      organization && organization !== '0' ? organization : (stringOf(detail.requester_id) ?? null),
    reason: reason === undefined ? null : reasonWithin(reason),
    channel: detail.via?.channel ?? null,
    created_at: detail.created_at,
    resolved_at: isResolved(detail.status)
      ? notBefore(event.time ?? detail.updated_at ?? undefined, detail.created_at)
      : null,
  };
}

/** Solved, or closed after it: the statuses a support team counts as resolved. */
const RESOLVED_STATUSES: ReadonlySet<string> = new Set(['solved', 'closed']);

const isResolved = (status: string | null | undefined) =>
  RESOLVED_STATUSES.has(status?.trim().toLowerCase() ?? '');

/**
 * When the event says the ticket was last changed, for ordering events; undefined when it
 * says nothing readable (the event is then applied in the order it arrives).
 */
export function zendeskUpdatedAt(event: ZendeskEvent): string | undefined {
  for (const text of [event.detail.updated_at, event.time]) {
    const time = text ? Date.parse(text) : Number.NaN;
    if (Number.isFinite(time)) return new Date(time).toISOString();
  }
  return undefined;
}

/**
 * Zendesk stamps an event and its ticket on different clocks: a reply or a resolution a
 * second "before" the ticket was created happened at once, and refusing it would lose it
 * (Zendesk drops a delivery after its retries).
 */
export function notBefore(time: string | undefined, createdAt: string): string | undefined {
  const [at, created] = [Date.parse(time ?? ''), Date.parse(createdAt)];
  return at < created ? createdAt : time;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * A reason a ticket can carry. Zendesk retries a refused delivery and then drops it, so a
 * field value no ticket may have (longer than a reason may be, or without a letter or digit)
 * must not cost the ticket: a long one is cut, whole characters kept, and one that spells no
 * reason slug is no reason ("Unspecified"): a letter or digit is not enough (`²`, `Ⅻ` spell none).
 */
function reasonWithin(raw: string): string | null {
  const text = cutToLength(raw.trim(), MAX_REASON_LENGTH);
  return reasonKey(text) ? text : null;
}
