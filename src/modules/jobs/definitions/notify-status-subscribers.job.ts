import { recordMaintenanceTransitions } from '../../status/incidents/maintenance-clock.service';
import {
  forgetUnconfirmed,
  sendStatusEmails,
} from '../../status/subscribers/status-subscriptions.service';
import { deliverStatusWebhooks } from '../../status/subscribers/status-webhooks.service';
import type { Job } from '../job';

/**
 * Every minute: what status-page subscribers are owed, by email and by webhook, the clock's
 * maintenance transitions included.
 */
export const notifyStatusSubscribersJob: Job = {
  name: 'notify-status-subscribers',
  schedule: '* * * * *',
  run: async (deps, _now, stop) => {
    await recordMaintenanceTransitions(deps);
    await forgetUnconfirmed(deps);
    const [{ sent }, { delivered }] = await Promise.all([
      sendStatusEmails(deps, stop),
      deliverStatusWebhooks(deps, stop),
    ]);
    if (sent + delivered > 0) deps.logger.info('status subscribers notified', { sent, delivered });
  },
};
