import { refreshVerdicts } from '../../spikes/refresh-verdicts';
import type { Job } from '../job';

/** Every minute: recomputes the verdicts of reasons whose tickets, aliases or calendar changed. */
export const refreshSpikesJob: Job = {
  name: 'refresh-spikes',
  schedule: '* * * * *',
  run: async (deps) => {
    const { reasons } = await refreshVerdicts(deps);
    if (reasons > 0) deps.logger.info('spike verdicts refreshed', { reasons });
  },
};
