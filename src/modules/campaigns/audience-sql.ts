import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { Audience, AudienceCondition, AudiencePredicate } from './audience';

/**
 * An audience rule as a condition on the `accounts` table (alias `a`), with the meaning the
 * notices API gives it (audience.ts): strings compared case-insensitively, attribute paths
 * through objects only, `contains` on arrays or substrings. Work that counts or aggregates over
 * an audience runs in the database with it, however many accounts match.
 */
export function audienceCondition(audience: Audience): SQL {
  if (audience.type === 'all') return sql`true`;
  if (audience.type === 'accounts') {
    return sql`a.id in (select jsonb_array_elements_text(${jsonParam(audience.account_ids)}))`;
  }
  return 'all' in audience ? group('all', audience.all) : group('any', audience.any);
}

/** How many accounts the audience matches now, counted in the database. */
export async function audienceSize(db: Db, audience: Audience): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(
      sql`select count(*)::int as n from accounts a where ${audienceCondition(audience)}`,
    ),
  );
  return row?.n ?? 0;
}

type Scalar = string | number | boolean;

function group(kind: 'all' | 'any', conditions: AudienceCondition[]): SQL {
  const parts = conditions.map((condition) =>
    'all' in condition
      ? group('all', condition.all)
      : 'any' in condition
        ? group('any', condition.any)
        : predicate(condition),
  );
  return sql`(${sql.join(parts, kind === 'all' ? sql` and ` : sql` or `)})`;
}

const TEXT_COLUMNS = new Set(['id', 'plan', 'region', 'locale', 'time_zone']);

/** The attribute as jsonb, or null where the JS reader finds nothing. */
function attribute(path: string): SQL {
  if (TEXT_COLUMNS.has(path)) return sql`to_jsonb(${sql.raw(`a.${path}`)})`;
  if (path === 'components') return sql`a.components`;
  const keys = path.slice('attributes.'.length).split('.');
  // Only through objects, as the JS reader goes: `#>` would also index into arrays.
  const steps = keys.slice(0, -1).map((_, i) => {
    const prefix = `{${keys
      .slice(0, i + 1)
      .map(quoteKey)
      .join(',')}}`;
    return sql`jsonb_typeof(a.attributes #> ${prefix}::text[]) = 'object'`;
  });
  const full = sql`a.attributes #> ${`{${keys.map(quoteKey).join(',')}}`}::text[]`;
  return steps.length === 0
    ? full
    : sql`(case when ${sql.join(steps, sql` and `)} then ${full} end)`;
}

const quoteKey = (key: string) => `"${key.replace(/(["\\])/g, '\\$1')}"`;

/** The JS `===` of a lowered account value and a lowered rule value. */
function equals(value: SQL, wanted: Scalar): SQL {
  if (typeof wanted === 'string') {
    return sql`(jsonb_typeof(${value}) = 'string'
      and lower(${value} #>> '{}') = ${wanted.toLowerCase()})`;
  }
  return sql`(${value} = ${JSON.stringify(wanted)}::jsonb)`;
}

/**
 * `equals` against any of a list, the list sent as one parameter: a rule may list a thousand
 * values, and one condition per value made statements deep enough to overflow the stack that
 * builds them, and plans whose JIT compilation outran every timeout.
 */
function equalsAny(value: SQL, wanted: Scalar[]): SQL {
  const strings = wanted.flatMap((v) => (typeof v === 'string' ? [v.toLowerCase()] : []));
  const others = wanted.filter((v) => typeof v !== 'string');
  const parts: SQL[] = [];
  if (strings.length > 0) {
    parts.push(sql`(jsonb_typeof(${value}) = 'string' and lower(${value} #>> '{}') in
      (select jsonb_array_elements_text(${jsonParam(strings)})))`);
  }
  if (others.length > 0) {
    parts.push(sql`(${value} in (select jsonb_array_elements(${jsonParam(others)})))`);
  }
  return parts.length === 0 ? sql`false` : sql`(${sql.join(parts, sql` or `)})`;
}

function predicate(p: AudiencePredicate): SQL {
  const value = attribute(p.attribute);
  switch (p.op) {
    case 'exists':
      return sql`coalesce(jsonb_typeof(${value}) <> 'null' and ${value} <> '[]'::jsonb, false)`;
    case 'eq':
      return sql`coalesce(${equals(value, p.value)}, false)`;
    case 'in':
      return sql`coalesce(${equalsAny(value, p.value)}, false)`;
    case 'not_in':
      return sql`not coalesce(${equalsAny(value, p.value)}, false)`;
    case 'contains': {
      const wanted = p.value;
      const element =
        typeof wanted === 'string'
          ? sql`(jsonb_typeof(e) = 'string' and lower(e #>> '{}') = ${wanted.toLowerCase()})`
          : sql`(e = ${JSON.stringify(wanted)}::jsonb)`;
      const inArray = sql`(jsonb_typeof(${value}) = 'array' and exists (
        select 1 from jsonb_array_elements(${value}) e where ${element}))`;
      if (typeof wanted !== 'string') return sql`coalesce(${inArray}, false)`;
      return sql`coalesce(${inArray} or (jsonb_typeof(${value}) = 'string'
        and strpos(lower(${value} #>> '{}'), ${wanted.toLowerCase()}) > 0), false)`;
    }
  }
}
