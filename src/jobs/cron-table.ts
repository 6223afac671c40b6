import { consolidateExposuresJob } from './consolidate-exposures.job';
import { detectSpikesJob } from './detect-spikes.job';
import type { Job } from './job';
import { measureCampaignsJob } from './measure-campaigns.job';
import { notifyStatusSubscribersJob } from './notify-status-subscribers.job';
import { pruneAccountChangesJob } from './prune-account-changes.job';
import { pruneIdempotencyKeysJob } from './prune-idempotency-keys.job';
import { pruneJobRunsJob } from './prune-job-runs.job';
import { refreshSpikesJob } from './refresh-spikes.job';
import { sendEmailsJob } from './send-emails.job';
import { sendReportDigestJob } from './send-report-digest.job';
import { settleRecontactsJob } from './settle-recontacts.job';

/**
 * Every scheduled job. On Workers, each distinct schedule must also be listed under
 * `[triggers] crons` in wrangler.toml (a test keeps the two in step).
 */
export const cronTable: readonly Job[] = [
  pruneJobRunsJob,
  detectSpikesJob,
  consolidateExposuresJob,
  pruneIdempotencyKeysJob,
  pruneAccountChangesJob,
  sendEmailsJob,
  notifyStatusSubscribersJob,
  sendReportDigestJob,
  settleRecontactsJob,
  refreshSpikesJob,
  measureCampaignsJob,
];
