import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonParam, rowsOf } from '../../src/db/json-param';
import { byCodePoint } from '../../src/lib/code-point-order';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

describe('byCodePoint', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  it('sorts addresses as Postgres sorts them under collate "C"', async () => {
    const addresses = [
      'zoe@example.com',
      '\u{1F600}@example.com',
      '\uFF21@example.com',
      '\uE000@example.com',
      'é@example.com',
      '\u{10000}@example.com',
      '\u{1F600}a@example.com',
      'a@example.com',
      'a@example.co',
      '\uD7FF@example.com',
    ];
    const sorted = rowsOf<{ e: string }>(
      await database.db.execute(sql`
        select e from jsonb_array_elements_text(${jsonParam(addresses)}) as e
        order by e collate "C"`),
    ).map((row) => row.e);
    expect([...addresses].sort(byCodePoint)).toEqual(sorted);
    // What the code-unit order gets wrong: U+FF21 before U+1F600.
    expect([...addresses].sort()).not.toEqual(sorted);
  });
});
