import type { Database } from './db/database';
import { migrateDatabase } from './db/migrate';
import type { Deps } from './deps';
import { AppError } from './http/app-error';
import { type BootstrapResult, ensureBootstrapAdminKey } from './modules/auth/api-keys.service';
import { mendAliases } from './modules/reasons/alias-mend';
import { syncRollupTimeZone } from './modules/reasons/reasons.service';

/**
 * What must hold before forestall serves anything, run by `npm start` and `npm run
 * db:migrate` alike: migrations applied, the weekly rollup counted in the configured time
 * zone, aliases from before they were one level deep mended, and a first admin key.
 * Node-only (migrations are read from disk).
 */
export async function prepareWorkspace(deps: Deps, database: Database): Promise<BootstrapResult> {
  await migrateDatabase(database);
  if ((await syncRollupTimeZone(deps)) === 'rebuilt') {
    deps.logger.info('weekly rollup recounted for the new workspace time zone');
  }
  await mendAliasesOnce(deps);
  return ensureBootstrapAdminKey(deps);
}

async function mendAliasesOnce(deps: Deps): Promise<void> {
  try {
    const mended = await mendAliases(deps);
    if (mended && (mended.aliasesChanged > 0 || mended.ticketsMoved > 0)) {
      deps.logger.info('aliases made one level deep and tickets filed where they map', mended);
    }
  } catch (error) {
    // Another instance is writing tickets (a long import): start anyway, mend at a later start.
    if (!(error instanceof AppError && error.code === 'unavailable')) throw error;
    deps.logger.warn('alias mend deferred to the next start: ticket writes in flight', {});
  }
}
