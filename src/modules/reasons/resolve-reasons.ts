import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';

/**
 * Maps raw reason keys to reason slugs: through an alias when one exists, otherwise to a
 * reason of the same slug, created on first sight with the raw text as its label.
 */
export async function resolveReasonSlugs(
  db: Db,
  labelsByKey: Map<string, string>,
): Promise<Map<string, string>> {
  const keys = [...labelsByKey.keys()];
  const aliased = rowsOf<{ alias: string; reason_slug: string }>(
    await db.execute(sql`
      select alias, reason_slug from reason_aliases
      where alias in (select jsonb_array_elements_text(${jsonParam(keys)}))`),
  );
  const slugs = new Map(aliased.map((row) => [row.alias, row.reason_slug]));
  const fresh = keys
    .filter((key) => !slugs.has(key))
    .sort()
    .map((key) => ({ slug: key, label: labelsByKey.get(key) ?? key }));
  if (fresh.length > 0) {
    await db.execute(sql`
      insert into reasons (slug, label)
      select slug, label from jsonb_to_recordset(${jsonParam(fresh)}) as r(slug text, label text)
      on conflict (slug) do nothing`);
  }
  for (const { slug } of fresh) slugs.set(slug, slug);
  return slugs;
}
