import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/database';

/**
 * Makes each write giving a status component the name `name` meet a component of that name
 * stored just before it, as a request racing it past the check that the name is free would:
 * the write then fails on the table's unique name. Returns the undo.
 */
export async function raceForComponentName(db: Db, name: string): Promise<() => Promise<void>> {
  await db.execute(
    sql.raw(`
      create function test_race_for_name() returns trigger language plpgsql as $$
      begin
        if new.name = '${name.replaceAll("'", "''")}' and pg_trigger_depth() = 1 then
          insert into status_components (id, name) values (gen_random_uuid(), new.name);
        end if;
        return new;
      end $$`),
  );
  await db.execute(
    sql.raw(`
      create trigger test_race_for_name before insert or update of name on status_components
      for each row execute function test_race_for_name()`),
  );
  return async () => {
    await db.execute(sql.raw('drop trigger test_race_for_name on status_components'));
    await db.execute(sql.raw('drop function test_race_for_name()'));
  };
}
