import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../http/app-env';
import { AppError, fieldErrors } from '../../http/app-error';
import { createRouter } from '../../http/create-router';
import { defineRoute, json } from '../../http/define-route';
import { ingestTickets } from '../tickets/ingest.service';
import { forgetRemoval, removeTicket } from '../tickets/remove-tickets.service';
import { emptySummary, IngestSummarySchema, TicketInputSchema } from '../tickets/ticket-input';
import { isFreshZendeskTimestamp, isValidZendeskSignature } from './zendesk-signature';
import {
  isAgentReply,
  notBefore,
  TICKET_CHANGES,
  TICKET_CREATED,
  TICKET_UNDELETED,
  ZendeskEventSchema,
  zendeskRemoval,
  zendeskTicket,
  zendeskUpdatedAt,
} from './zendesk-ticket';

/**
 * Checks the signature over the exact bytes Zendesk sent (within the body limit), before they
 * are decoded or parsed. Hono keeps the bytes read here, so the JSON parse that follows decodes
 * the same ones.
 */
const zendeskSignature: MiddlewareHandler<AppEnv> = async (c, next) => {
  const secret = c.var.deps.config.zendesk.webhookSecret;
  if (!secret) throw new AppError('not_found', 'The Zendesk integration is not configured.');
  const signed = await isValidZendeskSignature(
    secret,
    c.req.header('x-zendesk-webhook-signature'),
    c.req.header('x-zendesk-webhook-signature-timestamp'),
    new Uint8Array(await c.req.arrayBuffer()),
  );
  if (!signed) throw new AppError('unauthorized', 'The Zendesk webhook signature does not match.');
  // A valid signature on an old (or far future) timestamp is a replay, not a delivery.
  const timestamp = c.req.header('x-zendesk-webhook-signature-timestamp');
  if (!isFreshZendeskTimestamp(timestamp, c.var.deps.clock.now())) {
    throw new AppError(
      'unauthorized',
      'The Zendesk webhook timestamp is more than 5 minutes from now; a replay is refused.',
    );
  }
  await next();
};

const webhookRoute = defineRoute({
  access: { signedBy: zendeskSignature },
  method: 'post',
  path: '/v1/integrations/zendesk/webhook',
  tags: ['Integrations'],
  summary:
    'Receive Zendesk ticket events: created, commented, changed (status, tags, more), removed (signed)',
  description:
    'Point a Zendesk webhook subscribed to `zen:event-type:ticket.created`, ' +
    '`zen:event-type:ticket.comment_added`, `zen:event-type:ticket.tags_changed` and ' +
    '`zen:event-type:ticket.status_changed` here (with `type_changed`, `organization_changed` ' +
    'and `requester_changed` when the reason or account comes from them), with the signing ' +
    'secret in ZENDESK_WEBHOOK_SECRET and the X-Zendesk-Webhook-Signature headers Zendesk ' +
    'sends. A created event ingests the ticket; a public comment by an agent ' +
    '(`event.comment.is_public` and `author.is_staff`) records its `time` as the ticket’s ' +
    'first response (the earliest one is kept); a comment and a change store the ticket as the ' +
    'event’s `detail` shows it, moving it to the reason its tags (or field) name now. A ' +
    '`detail.status` of solved or closed resolves the ticket at the `time` of the first event ' +
    'that showed it so (closing a solved ticket keeps its solve time); open, pending, hold or ' +
    'new again unresolves it. Events are ordered by `detail.updated_at` (else `time`): one ' +
    'older than the latest applied to the ticket is a duplicate and changes nothing but an ' +
    'earlier first response. A ticket soft or permanently deleted, marked as spam or merged ' +
    'away (`soft_deleted`, `permanently_deleted`, `marked_as_spam`, `merged` showing it closed) ' +
    'is taken out of the contacts once (`removed: 1`; later deliveries are duplicates) and ' +
    'stores nothing again until `undeleted` restores it. Ingest is idempotent, so Zendesk ' +
    'retries are counted as duplicates; a created event for a ticket stored already (a retry ' +
    'after later events, or one delivered late) changes nothing. Other events (and other ' +
    'comments) are acknowledged and ignored. 404 while no secret is configured.',
  request: {
    body: { required: true, content: json(ZendeskEventSchema) },
  },
  responses: {
    200: {
      description: 'Ingested (or ignored, for other event types)',
      content: json(
        IngestSummarySchema.extend({
          removed: z.number().int().openapi({
            description: 'Tickets taken out of the contacts (deleted, spam, merged) now.',
          }),
          ignored: z.boolean(),
        }),
      ),
    },
  },
});

export const zendeskRoutes = createRouter().openapi(webhookRoute, async (c) => {
  const { deps } = c.var;
  const event = c.req.valid('json');
  const key = { source: 'zendesk', externalId: event.detail.id };
  const updatedAt = zendeskUpdatedAt(event) ?? null;
  const removal = zendeskRemoval(event);
  if (removal) {
    const removed = (await removeTicket(deps, key, removal, updatedAt)) ? 1 : 0;
    const summary = { ...emptySummary(), received: 1, duplicates: 1 - removed };
    return c.json({ ...summary, removed, ignored: false }, 200);
  }
  const reply = isAgentReply(event);
  const change = TICKET_CHANGES.has(event.type) || event.type === TICKET_UNDELETED;
  if (event.type !== TICKET_CREATED && !reply && !change) {
    return c.json({ ...emptySummary(), received: 1, removed: 0, ignored: true }, 200);
  }
  const ticket = TicketInputSchema.safeParse({
    ...zendeskTicket(event, deps.config.zendesk.reasonFrom),
    ...(reply ? { first_response_at: notBefore(event.time, event.detail.created_at) } : {}),
  });
  if (!ticket.success) {
    throw new AppError(
      'validation_failed',
      'The ticket in the event is not valid.',
      fieldErrors(ticket.error.issues, 'body'),
    );
  }
  if (event.type === TICKET_UNDELETED) await forgetRemoval(deps, key, updatedAt);
  const summary = await ingestTickets(deps, [ticket.data], {
    // A created event shows the ticket as it was created: delivered again after later events
    // (Zendesk retries a delivery it saw fail), it must not take the ticket back to that.
    stored: event.type === TICKET_CREATED ? 'keep' : 'update',
    resolution: 'kept while resolved',
    sourceUpdatedAt: updatedAt,
    skipRemoved: true,
  });
  return c.json({ ...summary, removed: 0, ignored: false }, 200);
});
