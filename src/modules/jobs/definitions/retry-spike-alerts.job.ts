import { notifyPending } from '../../spikes/spike-alerts.service';
import type { Job } from '../job';

/**
 * Every 10 minutes: spike alerts whose Slack message failed (Slack down, a webhook being
 * replaced) are sent again now, not a week later at the next detection.
 */
export const retrySpikeAlertsJob: Job = {
  name: 'retry-spike-alerts',
  schedule: '*/10 * * * *',
  run: async (deps) => {
    const webhookUrl = deps.config.slackWebhookUrl;
    if (!webhookUrl) return;
    const notified = await notifyPending(deps, webhookUrl);
    if (notified > 0) deps.logger.info('spike alerts sent to Slack on retry', { notified });
  },
};
