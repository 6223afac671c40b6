import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import type { Config } from '../../../config';
import type { AppEnv } from '../../../http/app-env';
import { statusPagePolicy } from '../../../http/content-security-policies';
import { createRouter } from '../../../http/create-router';
import { answerEtagHeader, defineRoute, json } from '../../../http/define-route';
import { strongEtag } from '../../../http/etag';
import { unlessNotModified } from '../../../http/not-modified';
import {
  PageSchema,
  PageStatusSchema,
  StatuspageComponentSchema,
  StatuspageIncidentSchema,
  UptimeHistorySchema,
} from '../status-schemas';
import { incidentJsonById, type PublicStatus, publicStatus } from './public-status.service';
import { renderHistoryFeed, renderHistoryRss } from './status-feeds';
import { renderIncidentPage, renderStatusNotice, renderStatusPage } from './status-page';
import { UPTIME_DAYS, uptimeHistory } from './uptime.service';

const tags = ['Public status (Statuspage API v2)'];
// Status changes must reach people quickly; 30 s of caching still absorbs a stampede.
const PUBLIC_CACHE = 'public, max-age=30';

type Shape = Record<string, z.ZodType>;

function statusRoute<S extends Shape>(path: string, summary: string, shape: S) {
  return defineRoute({
    access: 'public',
    method: 'get',
    path: `/api/v2/${path}`,
    tags,
    summary,
    revalidated: true,
    responses: {
      200: {
        description: 'Same field names, enums and shapes as Atlassian Statuspage',
        content: json(z.object({ page: PageSchema, ...shape })),
        headers: answerEtagHeader,
      },
    },
  });
}

const incidentsShape = { incidents: z.array(StatuspageIncidentSchema) };
const maintenancesShape = { scheduled_maintenances: z.array(StatuspageIncidentSchema) };

const views: [ReturnType<typeof statusRoute>, (s: PublicStatus) => object][] = [
  [
    statusRoute(
      'summary.json',
      'Status, components, unresolved incidents and pending maintenance',
      {
        components: z.array(StatuspageComponentSchema),
        ...incidentsShape,
        ...maintenancesShape,
        status: PageStatusSchema,
      },
    ),
    (s) => ({
      page: s.page,
      components: s.components,
      incidents: s.unresolved,
      scheduled_maintenances: [...s.active, ...s.upcoming],
      status: s.status,
    }),
  ],
  [
    statusRoute('status.json', 'The page indicator and its description', {
      status: PageStatusSchema,
    }),
    (s) => ({ page: s.page, status: s.status }),
  ],
  [
    statusRoute('components.json', 'Every component and its status', {
      components: z.array(StatuspageComponentSchema),
    }),
    (s) => ({ page: s.page, components: s.components }),
  ],
  [
    statusRoute('incidents.json', 'The 50 latest incidents', incidentsShape),
    (s) => ({ page: s.page, incidents: s.incidents }),
  ],
  [
    statusRoute('incidents/unresolved.json', 'Incidents not yet resolved', incidentsShape),
    (s) => ({ page: s.page, incidents: s.unresolved }),
  ],
  [
    statusRoute(
      'scheduled-maintenances.json',
      'The 50 latest scheduled maintenances',
      maintenancesShape,
    ),
    (s) => ({ page: s.page, scheduled_maintenances: s.scheduledMaintenances }),
  ],
  [
    statusRoute(
      'scheduled-maintenances/upcoming.json',
      'Maintenance not yet started',
      maintenancesShape,
    ),
    (s) => ({ page: s.page, scheduled_maintenances: s.upcoming }),
  ],
  [
    statusRoute(
      'scheduled-maintenances/active.json',
      'Maintenance in progress or verifying',
      maintenancesShape,
    ),
    (s) => ({ page: s.page, scheduled_maintenances: s.active }),
  ],
];

/**
 * Widgets on any origin read these without credentials, revalidating with `If-None-Match`:
 * that header needs a preflight, and a script sees `ETag` (and `Retry-After` on a 503) only
 * when exposed. Cache-Control and Content-Type are readable anyway.
 */
const publicCors = cors({
  origin: '*',
  allowMethods: ['GET', 'HEAD', 'OPTIONS'],
  allowHeaders: ['If-None-Match'],
  exposeHeaders: ['ETag', 'Retry-After'],
  maxAge: 7200,
});

/** A cacheable public answer: ETag, 304, short shared caching, readable from any origin. */
function publicAnswer(c: Context<AppEnv>, body: string, contentType: string) {
  c.header('Cache-Control', PUBLIC_CACHE);
  c.header('Access-Control-Allow-Origin', '*');
  return unlessNotModified(c, strongEtag(body), () =>
    c.body(body, 200, { 'Content-Type': contentType }),
  );
}

/**
 * Registered ahead of the checks every request passes (`safeUrlText`), so that an answer
 * refused there is readable from any origin too.
 */
export const publicStatusCrossOrigin = [
  '/api/v2/*',
  '/status/uptime.json',
  '/status/history.atom',
  '/status/history.rss',
].map((path) => [path, publicCors] as const);

export const publicStatusRoutes = createRouter();
for (const [route, select] of views) {
  publicStatusRoutes.openapi(route, async (c) =>
    publicAnswer(
      c,
      JSON.stringify(select(await publicStatus(c.var.deps))),
      'application/json; charset=utf-8',
    ),
  );
}
const HTML = 'text/html; charset=utf-8';

/** The status page and each incident's page, under the policy of the configured brand. */
export function statusPageRoutes(brand: Config['statusPageBrand']) {
  const policy = statusPagePolicy(brand.logoUrl, 'framed');
  return createRouter()
    .get('/status', async (c) => {
      const { deps } = c.var;
      const [status, uptime] = await Promise.all([publicStatus(deps), uptimeHistory(deps)]);
      const page = await renderStatusPage({ status, uptime, brand });
      c.header('Content-Security-Policy', policy);
      return publicAnswer(c, page, HTML);
    })
    .get('/status/incidents/:id', async (c) => {
      const { deps } = c.var;
      const id = c.req.param('id');
      const incident = z.uuid().safeParse(id).success
        ? await incidentJsonById(deps, id)
        : undefined;
      const pageName = deps.config.statusPageName;
      c.header('Content-Security-Policy', policy);
      if (!incident) {
        const notice = await renderStatusNotice({ pageName, brand, title: 'No such incident' });
        return c.body(notice, 404, { 'Content-Type': HTML, 'Cache-Control': 'no-store' });
      }
      return publicAnswer(c, await renderIncidentPage({ pageName, brand, incident }), HTML);
    });
}

publicStatusRoutes.get('/status/history.atom', async (c) =>
  publicAnswer(
    c,
    renderHistoryFeed(await publicStatus(c.var.deps)),
    'application/atom+xml; charset=utf-8',
  ),
);
publicStatusRoutes.get('/status/history.rss', async (c) =>
  publicAnswer(
    c,
    renderHistoryRss(await publicStatus(c.var.deps)),
    'application/rss+xml; charset=utf-8',
  ),
);

const uptimeRoute = defineRoute({
  access: 'public',
  method: 'get',
  path: '/status/uptime.json',
  tags,
  summary: `Each component's last ${UPTIME_DAYS} days: worst status per day and uptime`,
  description:
    'Days in the workspace time zone, from every recorded status change and every scheduled ' +
    'maintenance in progress: an operational component inside a maintenance window counts ' +
    'as `under_maintenance` (a day with nothing worse shows that status), as Statuspage ' +
    'shows maintenance on its uptime bars. Uptime weighs a major outage fully and a partial ' +
    'outage at 30%, as Statuspage does; maintenance and degraded performance are not downtime.',
  revalidated: true,
  responses: {
    200: {
      description: 'The uptime history',
      content: json(UptimeHistorySchema),
      headers: answerEtagHeader,
    },
  },
});

publicStatusRoutes.openapi(uptimeRoute, async (c) =>
  publicAnswer(
    c,
    JSON.stringify(await uptimeHistory(c.var.deps)),
    'application/json; charset=utf-8',
  ),
);
