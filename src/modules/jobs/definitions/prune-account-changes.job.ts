import { pruneAccountChanges } from '../../notices/account-cache';
import type { Job } from '../job';

export const pruneAccountChangesJob: Job = {
  name: 'prune-account-changes',
  schedule: '17 3 * * *',
  rerunIfAbandoned: true,
  run: (deps) => pruneAccountChanges(deps.db),
};
