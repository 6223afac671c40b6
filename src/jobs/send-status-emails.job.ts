import { sendStatusEmails } from '../modules/status/status-subscriptions.service';
import type { Job } from './job';

/** Every minute: opt-in requests and incident updates owed to status-page subscribers. */
export const sendStatusEmailsJob: Job = {
  name: 'send-status-emails',
  schedule: '* * * * *',
  run: async (deps) => {
    const { sent } = await sendStatusEmails(deps);
    if (sent > 0) deps.logger.info('status emails handed over', { sent });
  },
};
