import { sendDueEmails } from '../../email/delivery/send-due-emails';
import type { Job } from '../job';

/** Every minute on Node and Workers alike; Node also polls between runs (EMAIL_POLL_SECONDS). */
export const sendEmailsJob: Job = {
  name: 'send-emails',
  schedule: '* * * * *',
  run: async (deps, _now, stop) => {
    const report = await sendDueEmails(deps, { stop });
    if (report.requests > 0) deps.logger.info('emails handed over', report);
  },
};
