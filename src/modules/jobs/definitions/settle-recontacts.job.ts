import { settleRecontacts } from '../../recontacts/recontact-work';
import type { Job } from '../job';

/** Works off what an ingest queued and did not settle (its process stopped, or a failure). */
export const settleRecontactsJob: Job = {
  name: 'settle-recontacts',
  schedule: '* * * * *',
  run: (deps) => settleRecontacts(deps.db),
};
