import { measureAndStore } from '../../impact/stored-measurements';
import type { Job } from '../job';

/** The leaders' report reads these measurements rather than measuring on a request. */
export const measureCampaignsJob: Job = {
  name: 'measure-campaigns',
  schedule: '*/10 * * * *',
  run: async (deps, now, stop) => {
    await measureAndStore(deps, now, { stop });
  },
};
