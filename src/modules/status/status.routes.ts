import { z } from '@hono/zod-openapi';
import { notFound } from '../../http/app-error';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse, versionEtagHeader } from '../../http/define-route';
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
import { incidentEtag, incidentVersions } from './incidents/incident-etag';
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
  headers: versionEtagHeader,
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

/** One incident, or one maintenance, with its updates and the ETag of its version. */
function getRoute<K extends 'incident' | 'maintenance'>(kind: K, summary: string) {
  const name = kind === 'incident' ? 'incident' : 'maintenance';
  return defineRoute({
    access: readers,
    method: 'get',
    path: `/v1/status/${kind}s/{id}` as const,
    tags,
    summary,
    description:
      `The \`ETag\` names the ${name}'s version${kind === 'maintenance' ? ' and the status it has now (`"4-in_progress"`), as the clock moves it through its window' : ' (`"4"`)'}: ` +
      'send it as `If-Match` with an update so that one posted by someone else since (a ' +
      'resolution, say) is not overwritten unseen.',
    request: { params: IdParams },
    responses: {
      200: incidentResponse(`The ${name}`),
      404: problemResponse(`No such ${name}.`),
    },
  });
}

const getIncidentRoute = getRoute('incident', 'One incident with its updates');

const incidentUpdateRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  conditional: true,
  path: '/v1/status/incidents/{id}/updates',
  tags,
  summary: 'Post an incident update; `resolved` restores components and ends the banner',
  description:
    'On a resolved incident, an update with another status reopens it: its components return ' +
    'to the status they had when it was resolved (unless the update names theirs), and if it ' +
    'had a banner a new one shows to the same accounts. Send the `ETag` it was read with as ' +
    '`If-Match`: an update written before a colleague resolved it is then refused (412) ' +
    'rather than reopening it.',
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

const getMaintenanceRoute = getRoute('maintenance', 'One maintenance with its updates');

const maintenanceUpdateRoute = defineRoute({
  access: ops,
  method: 'post',
  idempotent: true,
  conditional: true,
  path: '/v1/status/maintenances/{id}/updates',
  tags,
  summary: 'Post a maintenance update; `completed` ends its banner',
  description:
    'Before a maintenance is in progress it can be `scheduled`, `in_progress` (started early) ' +
    'or `completed` (called off); `verifying` is refused with 400. Once the clock has started ' +
    'a window (`auto_transition`), `scheduled` is refused. On a completed maintenance, ' +
    '`in_progress` or `verifying` reopens it (`verifying` only if it had begun): its components ' +
    'are under maintenance again and, if it had a banner, a new one shows to the same accounts. ' +
    'Inside its window it still completes with the clock; past it, when ops post `completed`. ' +
    'With `If-Match`, only over the version and status its `ETag` named.',
  request: { params: IdParams, body: { required: true, content: json(MaintenanceUpdateSchema) } },
  responses: {
    200: incidentResponse('The maintenance after the update'),
    404: problemResponse('No such maintenance.'),
    409: problemResponse(
      'The maintenance is completed and the update is `completed` or `scheduled`.',
    ),
  },
});

/** One incident or maintenance as the API answers it, with the ETag of its version. */
async function incidentOrNotFound(
  deps: Parameters<typeof incidentJsonById>[0],
  id: string,
  kind: 'incident' | 'maintenance',
) {
  // The version first: what is read after it is as new or newer, so the ETag never names a
  // later version than the answer shows (an If-Match with it is at worst refused).
  // Of whatever kind: the read after it answers only the kind asked for.
  const version = (await incidentVersions(deps.db, [id])).get(id);
  const incident = version === undefined ? undefined : await incidentJsonById(deps, id, kind);
  if (version === undefined || !incident) {
    throw notFound(`${kind === 'incident' ? 'Incident' : 'Maintenance'} ${id}`);
  }
  return { incident, headers: { ETag: incidentEtag({ kind, version }, incident.status) } };
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
    const { incident, headers } = await incidentOrNotFound(c.var.deps, id, 'incident');
    return c.json(incident, 201, headers);
  })
  .openapi(listIncidentsRoute, async (c) =>
    c.json(await listIncidents(c.var.deps, 'incident', c.req.valid('query')), 200),
  )
  .openapi(getIncidentRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { incident, headers } = await incidentOrNotFound(c.var.deps, id, 'incident');
    return c.json(incident, 200, headers);
  })
  .openapi(incidentUpdateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const expected = c.var.ifMatch;
    await postIncidentUpdate(c.var.deps, id, c.req.valid('json'), actorOf(c.var.principal), {
      expected,
    });
    const { incident, headers } = await incidentOrNotFound(c.var.deps, id, 'incident');
    return c.json(incident, 200, headers);
  })
  .openapi(scheduleMaintenanceRoute, async (c) => {
    const id = await scheduleMaintenance(c.var.deps, c.req.valid('json'), actorOf(c.var.principal));
    const { incident, headers } = await incidentOrNotFound(c.var.deps, id, 'maintenance');
    return c.json(incident, 201, headers);
  })
  .openapi(getMaintenanceRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { incident, headers } = await incidentOrNotFound(c.var.deps, id, 'maintenance');
    return c.json(incident, 200, headers);
  })
  .openapi(listMaintenancesRoute, async (c) =>
    c.json(await listIncidents(c.var.deps, 'maintenance', c.req.valid('query')), 200),
  )
  .openapi(maintenanceUpdateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const expected = c.var.ifMatch;
    await postMaintenanceUpdate(c.var.deps, id, c.req.valid('json'), actorOf(c.var.principal), {
      expected,
    });
    const { incident, headers } = await incidentOrNotFound(c.var.deps, id, 'maintenance');
    return c.json(incident, 200, headers);
  });
