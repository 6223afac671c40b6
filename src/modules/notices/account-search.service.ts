import { type SQL, sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';
import { encodeKeyCursor, keyCursorSchema, type Page, toPage } from '../../http/pagination';
import { type Audience, AudienceSchema } from '../campaigns/audience';
import { audienceCondition } from '../campaigns/audience-sql';

export type AccountSummary = {
  id: string;
  plan: string | null;
  region: string | null;
  components: string[];
  attributes: Record<string, unknown>;
};

const COLUMNS = new Set(['id', 'plan', 'region', 'locale', 'time_zone']);

/**
 * What ops type to find accounts: `key=value` tests an attribute as an audience rule `eq`
 * would (so a search finds exactly the accounts such a rule reaches; `components=API` is
 * `contains`), and finds the account whose id is that very text too (ids may hold `=`);
 * anything else is the start of an account id. A `key=value` whose key is no attribute a rule
 * can test is read as the start of an id as well; `badKey` names it, for when nothing matches.
 */
export function searchCondition(query: string): { condition: SQL; badKey?: string } {
  const text = query.trim();
  if (text === '') return { condition: sql`true` };
  const idPrefix = sql`a.id like ${`${text.replace(/[\\%_]/g, '\\$&')}%`}`;
  const pair = /^([^=]+)=(.*)$/.exec(text);
  if (!pair) return { condition: idPrefix };
  const key = (pair[1] ?? '').trim();
  const value = (pair[2] ?? '').trim();
  const attribute =
    COLUMNS.has(key) || key === 'components' || key.startsWith('attributes.')
      ? key
      : `attributes.${key}`;
  const op = key === 'components' ? 'contains' : 'eq';
  // A typed "40" or "true" also finds the number or boolean an attribute may hold.
  const values: (string | number | boolean)[] = [value];
  if (value !== '' && Number.isFinite(Number(value))) values.push(Number(value));
  if (value === 'true' || value === 'false') values.push(value === 'true');
  const parsed = AudienceSchema.safeParse({
    type: 'rule',
    any: values.map((v) => ({ attribute, op, value: v })),
  });
  if (!parsed.success) return { condition: idPrefix, badKey: key };
  return { condition: sql`(a.id = ${text} or ${audienceCondition(parsed.data as Audience)})` };
}

/** Accounts by id, matching `query`, a page at a time (opaque cursors, 400 for a bad one). */
export async function searchAccounts(
  deps: Deps,
  input: { query: string; limit: number; cursor?: string },
): Promise<Page<AccountSummary>> {
  let after: string | undefined;
  if (input.cursor) {
    const cursor = keyCursorSchema.safeParse(input.cursor);
    if (!cursor.success) {
      throw new AppError(
        'validation_failed',
        'That page link is not one this console made; start again from the first page.',
        [{ location: 'query', path: 'cursor', message: 'Not a cursor this console issued.' }],
      );
    }
    after = cursor.data;
  }
  const { condition, badKey } = searchCondition(input.query);
  const rows = rowsOf<AccountSummary>(
    await deps.db.execute(sql`
      select a.id, a.plan, a.region, a.components, a.attributes
      from accounts a
      where ${condition}
        ${after === undefined ? sql`` : sql`and a.id > ${after}`}
      order by a.id
      limit ${input.limit + 1}`),
  );
  // Neither an id nor a test a rule could make: say what is wrong with the key.
  if (badKey !== undefined && rows.length === 0 && after === undefined) {
    throw new AppError('validation_failed', `"${badKey}" is not an attribute a search can test.`, [
      {
        location: 'query',
        path: 'q',
        message: 'Use id, plan, region, locale, time_zone, components or a key.',
      },
    ]);
  }
  return toPage(rows, input.limit, (row) => encodeKeyCursor(row.id));
}
