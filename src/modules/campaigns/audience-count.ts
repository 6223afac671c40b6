import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { type Audience, type AudienceSubject, compileAudience } from './audience';

/** How many accounts an audience matches now, as the notices API and email planning judge it. */
export async function countAudience(deps: Deps, audience: Audience): Promise<number> {
  const matches = compileAudience(audience);
  const accounts = rowsOf<AudienceSubject>(
    await deps.db.execute(sql`
      select id, plan, region, components, locale, time_zone, attributes from accounts`),
  );
  return accounts.filter(matches).length;
}
