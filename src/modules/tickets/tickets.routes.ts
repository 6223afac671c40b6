import { createRouter } from '../../http/create-router';
import { defineRoute } from '../../http/define-route';
import { ingestTickets } from './ingest.service';
import { IngestSummarySchema, TicketBatchSchema } from './ticket-input';

const ingestRoute = defineRoute({
  access: { roles: ['ops'] },
  method: 'post',
  path: '/v1/tickets',
  tags: ['Tickets'],
  summary: 'Ingest a batch of up to 5,000 tickets (idempotent on source + external_id)',
  description:
    'All or nothing: one bad ticket rejects the batch with a 400 naming its index and field. ' +
    'Replays are counted as duplicates; changed tickets as updates.',
  request: {
    body: { required: true, content: { 'application/json': { schema: TicketBatchSchema } } },
  },
  responses: {
    200: {
      description: 'What happened to each ticket',
      content: { 'application/json': { schema: IngestSummarySchema } },
    },
  },
});

export const ticketRoutes = createRouter().openapi(ingestRoute, async (c) => {
  const { tickets } = c.req.valid('json');
  return c.json(await ingestTickets(c.var.deps, tickets), 200);
});
