import { sendReportDigest } from '../../reports/report-digest.service';
import type { Job } from '../job';

/** Mondays 07:00 UTC, after spike detection: last week's report to REPORT_DIGEST_TO. */
export const sendReportDigestJob: Job = {
  name: 'send-report-digest',
  schedule: '0 7 * * 1',
  rerunIfAbandoned: true,
  catchUpIfMissed: true,
  run: async (deps, now) => {
    const outcome = await sendReportDigest(deps, now);
    if (outcome && outcome.kind !== 'accepted' && outcome.kind !== 'accepted_earlier') {
      throw new Error(`the report digest was not sent: ${JSON.stringify(outcome)}`);
    }
  },
};
