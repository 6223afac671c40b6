import { z } from '@hono/zod-openapi';
import { notFound } from '../../http/app-error';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { actorOf } from '../../http/principal';
import {
  createComponent,
  deleteComponent,
  listComponentViews,
  MAX_COMPONENTS,
  updateComponent,
} from './components.service';
import { listIncidents } from './incident-list.service';
import { openIncident, postIncidentUpdate } from './incidents/incidents.service';
import { postMaintenanceUpdate, scheduleMaintenance } from './incidents/maintenance.service';
import { incidentJsonById } from './public/public-status.service';
import {
  ComponentInputSchema,
  ComponentPatchSchema,
  ComponentSchema,
  IncidentOpenSchema,
  IncidentUpdateSchema,
  MaintenanceScheduleSchema,
  MaintenanceUpdateSchema,
  StatuspageIncidentSchema,
} from './status-schemas';

const ops = { roles: ['ops'] } as const;
const readers = { roles: ['ops', 'analyst'] } as const;
const tags = ['Status'];
const IdParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const incidentResponse = (description: string) => ({
  description,
  content: json(StatuspageIncidentSchema),
});

const NAME_TAKEN = 'A component is already named so (`errors[]` names `name`); nothing was saved.';

const createComponentRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  path: '/v1/status/components',
  tags,
  summary: 'Add a component (or a group of components)',
  request: { body: { required: true, content: json(ComponentInputSchema) } },
  responses: {
    201: { description: 'Created', content: json(ComponentSchema) },
    409: problemResponse(
      `${NAME_TAKEN} Or the page holds ${MAX_COMPONENTS} components already, the most it shows.`,
    ),
  },
});

const listComponentsRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/status/components',
  tags,
  summary: `List components in page order (a page holds at most ${MAX_COMPONENTS})`,
  responses: {
    200: { description: 'Components', content: json(z.object({ data: z.array(ComponentSchema) })) },
  },
});

const patchComponentRoute = defineRoute({
  access: ops,
  method: 'patch',
  path: '/v1/status/components/{id}',
  tags,
  summary: 'Rename, move or set the status of a component',
  request: { params: IdParams, body: { required: true, content: json(ComponentPatchSchema) } },
  responses: {
    200: { description: 'Updated', content: json(ComponentSchema) },
    404: problemResponse('No such component.'),
    409: problemResponse(NAME_TAKEN),
  },
});

const deleteComponentRoute = defineRoute({
  access: ops,
  method: 'delete',
  path: '/v1/status/components/{id}',
  tags,
  summary: 'Remove a component',
  request: { params: IdParams },
  responses: { 204: { description: 'Deleted' }, 404: problemResponse('No such component.') },
});

const openIncidentRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  path: '/v1/status/incidents',
  tags,
  summary: 'Open an incident (and a banner for the accounts that use its components)',
  request: { body: { required: true, content: json(IncidentOpenSchema) } },
  responses: { 201: incidentResponse('The incident, as the public API shows it') },
});

/** Every incident, or every maintenance, however old: one list route per kind. */
function listRoute<K extends 'incident' | 'maintenance'>(
  kind: K,
  summary: string,
  publicFile: string,
) {
  return defineRoute({
    access: readers,
    method: 'get',
    path: `/v1/status/${kind}s` as const,
    tags,
    summary,
    description:
      `Every ${kind}, however old, a page at a time (\`limit\`, and the \`next_cursor\` of the ` +
      `previous page), in the shape of the public \`${publicFile}\`.`,
    request: { query: PageQuerySchema },
    responses: {
      200: {
        description: `A page of ${kind}s`,
        content: json(pageSchema(StatuspageIncidentSchema)),
      },
    },
  });
}

const listIncidentsRoute = listRoute('incident', 'List incidents, newest first', 'incidents.json');

const getIncidentRoute = defineRoute({
  access: readers,
  method: 'get',
  path: '/v1/status/incidents/{id}',
  tags,
  summary: 'One incident with its updates',
  request: { params: IdParams },
  responses: { 200: incidentResponse('The incident'), 404: problemResponse('No such incident.') },
});

const incidentUpdateRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  path: '/v1/status/incidents/{id}/updates',
  tags,
  summary: 'Post an incident update; `resolved` restores components and ends the banner',
  description:
    'On a resolved incident, an update with another status reopens it: its components return ' +
    'to the status they had when it was resolved (unless the update names theirs), and if it ' +
    'had a banner a new one shows to the same accounts.',
  request: { params: IdParams, body: { required: true, content: json(IncidentUpdateSchema) } },
  responses: {
    200: incidentResponse('The incident after the update'),
    404: problemResponse('No such incident.'),
    409: problemResponse('The incident is already resolved and the update resolves it again.'),
  },
});

const scheduleMaintenanceRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  path: '/v1/status/maintenances',
  tags,
  summary: 'Schedule maintenance (in progress and completed follow its window)',
  request: { body: { required: true, content: json(MaintenanceScheduleSchema) } },
  responses: { 201: incidentResponse('The scheduled maintenance') },
});

const listMaintenancesRoute = listRoute(
  'maintenance',
  'List scheduled maintenance, newest first',
  'scheduled-maintenances.json',
);

const maintenanceUpdateRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  path: '/v1/status/maintenances/{id}/updates',
  tags,
  summary: 'Post a maintenance update; `completed` ends its banner',
  description:
    'Before a maintenance is in progress it can be `scheduled`, `in_progress` (started early) ' +
    'or `completed` (called off); `verifying` is refused with 400. Once the clock has started ' +
    'a window (`auto_transition`), `scheduled` is refused. On a completed maintenance, ' +
    '`in_progress` or `verifying` reopens it (`verifying` only if it had begun): its components ' +
    'are under maintenance again and, if it had a banner, a new one shows to the same accounts. ' +
    'Inside its window it still completes with the clock; past it, when ops post `completed`.',
  request: { params: IdParams, body: { required: true, content: json(MaintenanceUpdateSchema) } },
  responses: {
    200: incidentResponse('The maintenance after the update'),
    404: problemResponse('No such maintenance.'),
    409: problemResponse(
      'The maintenance is completed and the update is `completed` or `scheduled`.',
    ),
  },
});

async function incidentOrNotFound(
  deps: Parameters<typeof incidentJsonById>[0],
  id: string,
  kind: 'incident' | 'maintenance',
) {
  const incident = await incidentJsonById(deps, id, kind);
  if (!incident) throw notFound(`${kind === 'incident' ? 'Incident' : 'Maintenance'} ${id}`);
  return incident;
}

export const statusRoutes = createRouter()
  .openapi(createComponentRoute, async (c) =>
    c.json(await createComponent(c.var.deps, c.req.valid('json')), 201),
  )
  .openapi(listComponentsRoute, async (c) =>
    c.json({ data: await listComponentViews(c.var.deps) }, 200),
  )
  .openapi(patchComponentRoute, async (c) =>
    c.json(
      await updateComponent(
        c.var.deps,
        c.req.valid('param').id,
        c.req.valid('json'),
        actorOf(c.var.principal),
      ),
      200,
    ),
  )
  .openapi(deleteComponentRoute, async (c) => {
    await deleteComponent(c.var.deps, c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(openIncidentRoute, async (c) => {
    const id = await openIncident(c.var.deps, c.req.valid('json'), actorOf(c.var.principal));
    return c.json(await incidentOrNotFound(c.var.deps, id, 'incident'), 201);
  })
  .openapi(listIncidentsRoute, async (c) =>
    c.json(await listIncidents(c.var.deps, 'incident', c.req.valid('query')), 200),
  )
  .openapi(getIncidentRoute, async (c) =>
    c.json(await incidentOrNotFound(c.var.deps, c.req.valid('param').id, 'incident'), 200),
  )
  .openapi(incidentUpdateRoute, async (c) => {
    const { id } = c.req.valid('param');
    await postIncidentUpdate(c.var.deps, id, c.req.valid('json'), actorOf(c.var.principal));
    return c.json(await incidentOrNotFound(c.var.deps, id, 'incident'), 200);
  })
  .openapi(scheduleMaintenanceRoute, async (c) => {
    const id = await scheduleMaintenance(c.var.deps, c.req.valid('json'), actorOf(c.var.principal));
    return c.json(await incidentOrNotFound(c.var.deps, id, 'maintenance'), 201);
  })
  .openapi(listMaintenancesRoute, async (c) =>
    c.json(await listIncidents(c.var.deps, 'maintenance', c.req.valid('query')), 200),
  )
  .openapi(maintenanceUpdateRoute, async (c) => {
    const { id } = c.req.valid('param');
    await postMaintenanceUpdate(c.var.deps, id, c.req.valid('json'), actorOf(c.var.principal));
    return c.json(await incidentOrNotFound(c.var.deps, id, 'maintenance'), 200);
  });
