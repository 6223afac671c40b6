import type { Deps } from '../../deps';
import { sendDueEmails } from '../email/delivery/send-due-emails';

export type EmailPoller = { stop(): Promise<void> };

/**
 * Node only: looks for due emails every EMAIL_POLL_SECONDS, so an email due now goes within
 * seconds rather than at the next minute job. Runs never overlap within the process; other
 * processes are kept apart by the claims in `sendDueEmails`.
 */
export function startEmailPoller(deps: Deps): EmailPoller {
  const seconds = deps.config.email.pollSeconds;
  if (seconds === 0) return { stop: async () => {} };
  let current: Promise<unknown> = Promise.resolve();
  let running = false;
  const stopping = new AbortController();
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    current = sendDueEmails(deps, { stop: stopping.signal })
      .catch((error: unknown) => deps.logger.error('email poll failed', { error: String(error) }))
      .finally(() => {
        running = false;
      });
  }, seconds * 1000);
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await current;
    },
  };
}
