import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';
import { type Audience, type AudienceSubject, compileAudience } from './audience';

/**
 * The accounts an audience matches now, judged by the same compiled rule as the notices API,
 * in id order. Audience rules are evaluated in JavaScript (one rule language for the hot path
 * and for these batch uses), so this reads every account once.
 */
export async function audienceMembers(db: Db, audience: Audience): Promise<AudienceSubject[]> {
  const matches = compileAudience(audience);
  return rowsOf<AudienceSubject>(
    await db.execute(sql`
      select id, plan, region, components, locale, time_zone, attributes
      from accounts order by id`),
  ).filter(matches);
}
