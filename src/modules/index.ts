import type { Config } from '../config';
import { consoleRoutes } from '../ui/console.routes';
import { accountRoutes } from './accounts/accounts.routes';
import { apiKeyRoutes } from './auth/api-keys.routes';
import { campaignRoutes } from './campaigns/campaigns.routes';
import { emailRoutes } from './email/email.routes';
import { unsubscribeRoutes } from './email/recipients/unsubscribe.routes';
import { resendWebhookRoutes } from './email/webhooks/resend-webhook.routes';
import { eventRoutes } from './events/events.routes';
import { healthRoutes } from './health/health.routes';
import { impactRoutes } from './impact/impact.routes';
import { jobRunRoutes } from './jobs/job-runs.routes';
import { noticeRoutes, noticesCrossOrigin } from './notices/notices.routes';
import { patternRoutes } from './patterns/patterns.routes';
import { reasonRoutes } from './reasons/reasons.routes';
import { reportRoutes } from './reports/reports.routes';
import { spikeRoutes } from './spikes/spikes.routes';
import {
  publicStatusCrossOrigin,
  publicStatusRoutes,
  statusPageRoutes,
} from './status/public/public-status.routes';
import { statusRoutes } from './status/status.routes';
import { statusSubscriptionRoutes } from './status/subscribers/status-subscriptions.routes';
import { statusWebhookRoutes } from './status/subscribers/status-webhooks.routes';
import { ticketRoutes } from './tickets/tickets.routes';
import { zendeskRoutes } from './zendesk/zendesk.routes';

/**
 * Each capability contributes a router; adding a module is one line here. The few that depend
 * on configuration are built from it once per app (configuration is fixed per process).
 */
export const moduleRouters = (config: Config) => [
  healthRoutes,
  apiKeyRoutes,
  jobRunRoutes,
  ticketRoutes,
  reasonRoutes,
  eventRoutes,
  spikeRoutes,
  patternRoutes,
  zendeskRoutes,
  accountRoutes,
  campaignRoutes,
  noticeRoutes,
  statusRoutes,
  publicStatusRoutes,
  statusPageRoutes(config.statusPageBrand),
  statusSubscriptionRoutes(config.statusPageBrand),
  statusWebhookRoutes,
  impactRoutes,
  reportRoutes,
  emailRoutes,
  resendWebhookRoutes,
  unsubscribeRoutes,
  consoleRoutes,
];

/**
 * The CORS middleware of the routes other origins' scripts call, by path: the app registers
 * them ahead of its own checks, so that every answer on those paths, refusals included, can
 * be read by the scripts its successes can.
 */
export const crossOriginMiddleware = [...noticesCrossOrigin, ...publicStatusCrossOrigin];
