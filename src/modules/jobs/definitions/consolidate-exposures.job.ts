import { consolidateExposures } from '../../notices/consolidate-exposures';
import type { Job } from '../job';

export const consolidateExposuresJob: Job = {
  name: 'consolidate-exposures',
  schedule: '* * * * *',
  run: async (deps) => {
    await consolidateExposures(deps);
  },
};
