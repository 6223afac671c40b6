import type { Database } from './db/database';
import { migrateDatabase } from './db/migrate';
import type { Deps } from './deps';
import { type BootstrapResult, ensureBootstrapAdminKey } from './modules/auth/api-keys.service';
import { syncRollupTimeZone } from './modules/reasons/reasons.service';

/**
 * What must hold before forestall serves anything, run by `npm start` and `npm run
 * db:migrate` alike: migrations applied, the weekly rollup counted in the configured time
 * zone, and a first admin key. Node-only (migrations are read from disk).
 */
export async function prepareWorkspace(deps: Deps, database: Database): Promise<BootstrapResult> {
  await migrateDatabase(database);
  if ((await syncRollupTimeZone(deps)) === 'rebuilt') {
    deps.logger.info('weekly rollup recounted for the new workspace time zone');
  }
  return ensureBootstrapAdminKey(deps);
}
