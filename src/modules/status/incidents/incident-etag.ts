import { inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import { type IncidentRow, incidents } from '../../../db/schema';
import { AppError } from '../../../http/app-error';
import { type IfMatch, versionEtag } from '../../../http/etag';
import { requireIfMatch } from '../../../http/if-match';
import { incidentStatusAt } from '../status-clock';

type Versioned = Pick<IncidentRow, 'kind' | 'version'>;

/**
 * An incident's strong ETag, its version (`"4"`); a maintenance's, its version and the status
 * it has now (`"4-in_progress"`): the clock moves a maintenance through its window without a
 * write, so a change read before the window began is not taken as read after (as a campaign's).
 */
export const incidentEtag = (row: Versioned, status: string): string =>
  row.kind === 'maintenance' ? `"${row.version}-${status}"` : versionEtag(row.version);

/**
 * What a change expects to find: `If-Match` (the ETags read), or the version a console page
 * was shown at. The console judges a move on the status it finds (and says why one is
 * refused), so only a change someone made since is its 412.
 */
export type IncidentPrecondition = IfMatch | { shownVersion: number };

/** How an update is posted: only as a reopening, only over the version `expected`. */
export type UpdateOptions = { only?: 'reopen'; expected?: IncidentPrecondition | undefined };

/**
 * Refuses, with 412 and nothing changed, a change whose precondition no longer holds for the
 * locked incident or maintenance `row` at `now`.
 */
export function requireIncidentPrecondition(
  expected: IncidentPrecondition | undefined,
  row: IncidentRow,
  now: Date,
): void {
  const what = `${row.kind === 'incident' ? 'Incident' : 'Maintenance'} ${row.id}`;
  if (expected === undefined || expected === '*') return;
  if ('shownVersion' in expected) {
    requireIfMatch([versionEtag(expected.shownVersion)], versionEtag(row.version), what);
    return;
  }
  const status = incidentStatusAt(row, now);
  const etag = incidentEtag(row, status);
  if (expected.includes(etag)) return;
  const read = expected.find((tag) => tag.startsWith(`"${row.version}-`));
  if (row.kind === 'maintenance' && read !== undefined && status !== row.status) {
    throw new AppError(
      'precondition_failed',
      `${what} is at the version If-Match names, but the clock has moved it to ${status} ` +
        `since (its ETag is now ${etag}); nothing was saved. Read it again and decide on the ` +
        'change from what it holds.',
    );
  }
  requireIfMatch(expected, etag, what);
}

/**
 * The stored version of each of `ids` (those that exist), or of every incident and maintenance
 * not finished (`unfinished`: no `resolved_at`, so also one the clock completed unrecorded).
 */
export async function incidentVersions(
  db: Db,
  ids: string[] | 'unfinished',
): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: incidents.id, version: incidents.version })
    .from(incidents)
    .where(ids === 'unfinished' ? isNull(incidents.resolvedAt) : inArray(incidents.id, ids));
  return new Map(rows.map((row) => [row.id, row.version]));
}
