import { detectAndStoreSpikes } from '../../spikes/spike-alerts.service';
import type { Job } from '../job';

/** Mondays 06:00 UTC: last week is complete in every workspace time zone by then. */
export const detectSpikesJob: Job = {
  name: 'detect-spikes',
  schedule: '0 6 * * 1',
  rerunIfAbandoned: true,
  catchUpIfMissed: true,
  run: async (deps, now) => {
    const result = await detectAndStoreSpikes(deps, now);
    deps.logger.info('spike detection finished', result);
  },
};
