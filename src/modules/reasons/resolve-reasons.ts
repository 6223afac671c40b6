import { sql } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import { AppError } from '../../http/app-error';
import { displayLine } from '../../lib/display-line';
import { holdAliasesSteady } from './alias-lock';
import { reasonKey } from './reason-key';

/**
 * Maps raw reason keys to reason slugs: through an alias when one exists, otherwise to a
 * reason of the same slug, created on first sight with the raw text, on one line, as its
 * label (a reason from a ticket is shown in the console, in alerts and in the report). The
 * aliases read hold until the caller's transaction, which stores the slugs, ends.
 */
export async function resolveReasonSlugs(
  tx: Db,
  labelsByKey: Map<string, string>,
): Promise<Map<string, string>> {
  await holdAliasesSteady(tx);
  const keys = [...labelsByKey.keys()];
  const aliased = rowsOf<{ alias: string; reason_slug: string }>(
    await tx.execute(sql`
      select alias, reason_slug from reason_aliases
      where alias in (select jsonb_array_elements_text(${jsonParam(keys)}))`),
  );
  const slugs = new Map(aliased.map((row) => [row.alias, row.reason_slug]));
  const fresh = keys
    .filter((key) => !slugs.has(key))
    .sort()
    .map((key) => ({ slug: key, label: displayLine(labelsByKey.get(key) ?? '') || key }));
  if (fresh.length > 0) {
    await tx.execute(sql`
      insert into reasons (slug, label)
      select slug, label from jsonb_to_recordset(${jsonParam(fresh)}) as r(slug text, label text)
      on conflict (slug) do nothing`);
  }
  for (const { slug } of fresh) slugs.set(slug, slug);
  return slugs;
}

/**
 * The reasons named (each by a slug, or a label in any case), taken through the aliases, since a
 * raw reason made an alias keeps its row but no longer holds a contact: their slugs, once
 * each, in the order named, and the names that match no reason.
 */
export async function lookupReasonSlugs(
  db: Db,
  names: string[],
): Promise<{ slugs: string[]; unknown: string[] }> {
  if (names.length === 0) return { slugs: [], unknown: [] };
  const wanted = names.map((name) => ({
    name,
    key: reasonKey(name),
    lower: name.trim().toLowerCase(),
  }));
  const rows = rowsOf<{ name: string; slug: string | null }>(
    await db.execute(sql`
      select w.name, coalesce(
        (select reason_slug from reason_aliases where alias = w.key),
        (select reason_slug from reason_aliases where alias = found.slug),
        found.slug) as slug
      from jsonb_to_recordset(${jsonParam(wanted)}) as w(name text, key text, lower text)
      cross join lateral (select coalesce(
        (select slug from reasons where slug = w.name),
        (select slug from reasons where slug = w.key),
        (select min(slug) from reasons where lower(label) = w.lower)) as slug) as found`),
  );
  const found = new Map(rows.map((row) => [row.name, row.slug]));
  return {
    slugs: [...new Set(names.flatMap((name) => found.get(name) ?? []))],
    unknown: names.filter((name) => !found.get(name)),
  };
}

/**
 * Reasons named in a body (an event's affected reasons, a campaign's targets) as slugs, for
 * the caller's transaction to store (the aliases read hold until it ends). An unknown name is
 * a 422 naming it and the body field, so nothing silently matches no contact.
 */
export async function resolveReasonNames(tx: Db, names: string[], path: string): Promise<string[]> {
  if (names.length === 0) return [];
  await holdAliasesSteady(tx);
  const { slugs, unknown } = await lookupReasonSlugs(tx, names);
  if (unknown.length > 0) {
    throw new AppError(
      'unknown_reason',
      `Unknown contact reason(s): ${unknown.join(', ')}. Use a reason's slug, label or alias.`,
      names.flatMap((name, i) =>
        unknown.includes(name)
          ? [{ location: 'body', path: `${path}.${i}`, message: `unknown reason "${name}"` }]
          : [],
      ),
    );
  }
  return slugs;
}

/** Reasons named in a query (`?reason=`) as slugs; an unknown one is a 404 naming it. */
export async function findReasonSlugs(db: Db, names: string[]): Promise<string[]> {
  const { slugs, unknown } = await lookupReasonSlugs(db, names);
  if (unknown.length > 0) {
    throw new AppError('not_found', `Unknown reason(s): ${unknown.join(', ')}.`);
  }
  return slugs;
}
