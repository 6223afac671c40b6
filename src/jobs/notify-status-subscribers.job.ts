import { recordMaintenanceTransitions } from '../modules/status/incidents/maintenance-transitions.service';
import {
  forgetUnconfirmed,
  sendStatusEmails,
} from '../modules/status/subscribers/status-subscriptions.service';
import { deliverStatusWebhooks } from '../modules/status/subscribers/status-webhooks.service';
import type { Job } from './job';

/**
 * Every minute: what status-page subscribers are owed, by email and by webhook, the clock's
 * maintenance transitions included.
 */
export const notifyStatusSubscribersJob: Job = {
  name: 'notify-status-subscribers',
  schedule: '* * * * *',
  run: async (deps) => {
    await recordMaintenanceTransitions(deps);
    await forgetUnconfirmed(deps);
    const [{ sent }, { delivered }] = await Promise.all([
      sendStatusEmails(deps),
      deliverStatusWebhooks(deps),
    ]);
    if (sent + delivered > 0) deps.logger.info('status subscribers notified', { sent, delivered });
  },
};
