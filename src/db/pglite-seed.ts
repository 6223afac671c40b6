import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectFolder } from '../lib/project-folder';
import { migrationsFingerprint } from './migrate';

/**
 * A new embedded database starts from a migrated one that `npm run build` saved: loading it
 * takes a fraction of the time Postgres' initdb takes inside PGlite. One seed per set of
 * migrations, so a seed never lags the migrations it claims.
 */
export function pgliteSeedPath(): string {
  return join(projectFolder('dist'), `pglite-seed-${migrationsFingerprint()}.tar`);
}

export function pgliteSeedPresent(): boolean {
  return existsSync(pgliteSeedPath());
}
