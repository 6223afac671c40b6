import { z } from '@hono/zod-openapi';
import { AppError } from '../../http/app-error';
import { createRouter } from '../../http/create-router';
import { defineRoute } from '../../http/define-route';
import { ingestTickets } from '../tickets/ingest.service';
import { IngestSummarySchema, TicketInputSchema } from '../tickets/ticket-input';
import { isValidZendeskSignature } from './zendesk-signature';
import { TICKET_CREATED, ZendeskEventSchema, zendeskTicket } from './zendesk-ticket';

const webhookRoute = defineRoute({
  access: 'public',
  bodyHandling: 'raw',
  method: 'post',
  path: '/v1/integrations/zendesk/webhook',
  tags: ['Integrations'],
  summary: 'Receive Zendesk ticket-created events (signed)',
  description:
    'Point a Zendesk webhook subscribed to `zen:event-type:ticket.created` here, with the ' +
    'signing secret in ZENDESK_WEBHOOK_SECRET. The signature is checked before anything is ' +
    'read; ingest is idempotent, so Zendesk retries are counted as duplicates. Body: ' +
    'the ZendeskTicketEvent schema. Other event types are acknowledged and ignored.',
  responses: {
    200: {
      description: 'Ingested (or ignored, for other event types)',
      content: {
        'application/json': {
          schema: IngestSummarySchema.extend({ ignored: z.boolean() }),
        },
      },
    },
  },
});

export const zendeskRoutes = createRouter().openapi(webhookRoute, async (c) => {
  const { deps } = c.var;
  const secret = deps.config.zendesk.webhookSecret;
  if (!secret) throw new AppError('not_found', 'The Zendesk integration is not configured.');
  const rawBody = await c.req.text();
  const signed = await isValidZendeskSignature(
    secret,
    c.req.header('x-zendesk-webhook-signature'),
    c.req.header('x-zendesk-webhook-signature-timestamp'),
    rawBody,
  );
  if (!signed) throw new AppError('unauthorized', 'The Zendesk webhook signature does not match.');

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError('malformed_body', 'The webhook body is not JSON.');
  }
  const parsed = ZendeskEventSchema.safeParse(json);
  if (!parsed.success)
    throw invalid('The webhook body is not a Zendesk ticket event.', parsed.error);
  const empty = { received: 1, inserted: 0, updated: 0, duplicates: 0, rejected: 0 };
  if (parsed.data.type !== TICKET_CREATED) return c.json({ ...empty, ignored: true }, 200);
  const ticket = TicketInputSchema.safeParse(
    zendeskTicket(parsed.data, deps.config.zendesk.reasonFrom),
  );
  if (!ticket.success) throw invalid('The ticket in the event is not valid.', ticket.error);
  const summary = await ingestTickets(deps, [ticket.data]);
  return c.json({ ...summary, ignored: false }, 200);
});

function invalid(detail: string, error: z.ZodError): AppError {
  return new AppError(
    'validation_failed',
    detail,
    error.issues.map((issue) => ({
      location: 'body',
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  );
}
