import type { Database } from './database';
import type { PgliteOpening } from './pglite';
import { openPostgres, type PostgresOptions } from './postgres';

/** Picks the driver by URL scheme: memory:// and file:// are PGlite, postgres:// postgres.js. */
export async function openDatabase(
  url: string,
  options: PostgresOptions & { onOpening?: (opening: PgliteOpening) => void } = {},
): Promise<Database> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return openPostgres(url, options);
  }
  const { openPglite } = await import('./pglite');
  if (url.startsWith('memory://')) return openPglite({ kind: 'memory' });
  if (url.startsWith('file://')) {
    return openPglite({ kind: 'directory', path: fileUrlPath(url) }, options.onOpening);
  }
  throw new Error(`Unsupported database URL scheme in ${redactUrl(url)}`);
}

/** `file://./data` (relative) and `file:///var/lib/forestall` (absolute) are both accepted. */
function fileUrlPath(url: string): string {
  const path = decodeURIComponent(url.slice('file://'.length));
  if (path === '')
    throw new Error('file:// database URL needs a path, e.g. file://./data/forestall');
  return path;
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
