import { pruneIdempotencyKeys } from '../../../http/idempotency';
import type { Job } from '../job';

export const pruneIdempotencyKeysJob: Job = {
  name: 'prune-idempotency-keys',
  schedule: '17 3 * * *',
  rerunIfAbandoned: true,
  run: (deps, now) => pruneIdempotencyKeys(deps.db, now),
};
