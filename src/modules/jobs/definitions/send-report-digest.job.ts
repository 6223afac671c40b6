import { sendReportDigest } from '../../reports/report-digest.service';
import type { Job } from '../job';

/**
 * Mondays 07:00 in the workspace's zone, after spike detection: the report of the week that
 * just ended there to REPORT_DIGEST_TO.
 */
export const sendReportDigestJob: Job = {
  name: 'send-report-digest',
  schedule: '0 7 * * 1',
  inWorkspaceZone: true,
  rerunIfAbandoned: true,
  catchUpIfMissed: true,
  run: async (deps, now) => {
    const outcome = await sendReportDigest(deps, now);
    if (outcome && outcome.kind !== 'accepted' && outcome.kind !== 'accepted_earlier') {
      throw new Error(`the report digest was not sent: ${JSON.stringify(outcome)}`);
    }
  },
};
