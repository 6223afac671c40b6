import { detectAndStoreSpikes } from '../../spikes/spike-alerts.service';
import type { Job } from '../job';

/** Mondays 06:00 in the workspace's zone: the week that just ended there is complete. */
export const detectSpikesJob: Job = {
  name: 'detect-spikes',
  schedule: '0 6 * * 1',
  inWorkspaceZone: true,
  rerunIfAbandoned: true,
  catchUpIfMissed: true,
  run: async (deps, now) => {
    const result = await detectAndStoreSpikes(deps, now);
    deps.logger.info('spike detection finished', result);
  },
};
