import { abandonedRunsJob } from './abandoned-runs';
import { consolidateExposuresJob } from './definitions/consolidate-exposures.job';
import { detectSpikesJob } from './definitions/detect-spikes.job';
import { measureCampaignsJob } from './definitions/measure-campaigns.job';
import { notifyStatusSubscribersJob } from './definitions/notify-status-subscribers.job';
import { pruneAccountChangesJob } from './definitions/prune-account-changes.job';
import { pruneIdempotencyKeysJob } from './definitions/prune-idempotency-keys.job';
import { pruneJobRunsJob } from './definitions/prune-job-runs.job';
import { refreshSpikesJob } from './definitions/refresh-spikes.job';
import { resumeImportsJob } from './definitions/resume-imports.job';
import { retrySpikeAlertsJob } from './definitions/retry-spike-alerts.job';
import { sendEmailsJob } from './definitions/send-emails.job';
import { sendReportDigestJob } from './definitions/send-report-digest.job';
import { settleRecontactsJob } from './definitions/settle-recontacts.job';
import type { Job } from './job';

/**
 * Every scheduled job. On Workers, each distinct trigger (`triggerOf`) must also be listed
 * under `[triggers] crons` in wrangler.toml (a test keeps the two in step).
 */
export const cronTable: readonly Job[] = [
  pruneJobRunsJob,
  detectSpikesJob,
  retrySpikeAlertsJob,
  consolidateExposuresJob,
  pruneIdempotencyKeysJob,
  pruneAccountChangesJob,
  sendEmailsJob,
  notifyStatusSubscribersJob,
  sendReportDigestJob,
  settleRecontactsJob,
  resumeImportsJob,
  refreshSpikesJob,
  measureCampaignsJob,
  abandonedRunsJob(() => cronTable),
];
