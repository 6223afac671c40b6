import Holidays from 'date-holidays';
import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';
import { AppError } from '../../http/app-error';

export type HolidayImport = { country: string; region?: string; years: number[] };

/**
 * Adds a country's (or region's) public holidays as `holiday` events, one per day. Importing
 * the same country and year again updates those that changed instead of adding copies.
 */
export async function importHolidays(
  deps: Deps,
  input: HolidayImport,
): Promise<{ imported: number; updated: number; unchanged: number }> {
  const calendar = new Holidays();
  const country = input.country.toUpperCase();
  const region = input.region?.toUpperCase();
  if (!(country in calendar.getCountries())) {
    throw unknownPlace('country', `${input.country} is not a country date-holidays knows`);
  }
  if (region && !(region in (calendar.getStates(country) ?? {}))) {
    throw unknownPlace('region', `${input.region} is not a region of ${country}`);
  }
  calendar.init(country, region ?? '');
  const place = [country, region].filter(Boolean).join('-');
  // The zone whose midnights bound its days: kept, so a holiday is shown as that day there.
  const timeZone = zoneOf(calendar);
  const now = deps.clock.now().toISOString();
  // One row per holiday: a year asked twice (or a holiday listed twice) would make the upsert
  // touch a row twice in one statement, which Postgres refuses.
  const years = [...new Set(input.years)];
  const byOrigin = new Map<
    string,
    {
      id: string;
      title: string;
      starts_at: string;
      ends_at: string;
      origin_id: string;
      time_zone: string | null;
    }
  >();
  const all = years.flatMap((year) =>
    (calendar.getHolidays(year) || [])
      .filter((holiday) => holiday.type === 'public')
      .map((holiday) => ({
        id: uuidv7(),
        title: `${holiday.name} (${place})`,
        starts_at: holiday.start.toISOString(),
        ends_at: holiday.end.toISOString(),
        origin_id: `${place}:${holiday.date.slice(0, 10)}:${holiday.name}`,
        time_zone: timeZone,
      })),
  );
  for (const row of all) byOrigin.set(row.origin_id, row);
  const rows = [...byOrigin.values()];
  if (rows.length === 0) return { imported: 0, updated: 0, unchanged: 0 };
  const result = rowsOf<{ inserted: boolean }>(
    await deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at, time_zone, origin, origin_id,
                          created_at, updated_at)
      select id::uuid, 'holiday', title, starts_at, ends_at, time_zone, 'holidays', origin_id,
             ${now}::timestamptz, ${now}::timestamptz
      from jsonb_to_recordset(${jsonParam(rows)})
        as h(id text, title text, starts_at timestamptz, ends_at timestamptz, time_zone text,
             origin_id text)
      on conflict (origin, origin_id) do update
        set title = excluded.title, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
            time_zone = excluded.time_zone, updated_at = excluded.updated_at
        -- A holiday as stored already is left alone: its version and updated_at stay.
        where (events.title, events.starts_at, events.ends_at, events.time_zone)
          is distinct from (excluded.title, excluded.starts_at, excluded.ends_at, excluded.time_zone)
      returning (xmax = 0) as inserted`),
  );
  if (result.length > 0) deps.afterDetectionInputChange(deps);
  const imported = result.filter((row) => row.inserted).length;
  const updated = result.length - imported;
  return { imported, updated, unchanged: rows.length - result.length };
}

const unknownPlace = (path: string, message: string) =>
  new AppError('validation_failed', 'Unknown place for public holidays.', [
    { location: 'body', path, message },
  ]);

/** The zone date-holidays counts a place's days in: the first it names for the place. */
const zoneOf = (calendar: Holidays) => calendar.getTimezones()[0] ?? null;

const zones = new Map<string, string | null>();
const KEPT_ZONES = 100;

/**
 * The zone of a place as an import names it (`US`, `US-CA`), for holidays imported before
 * their zone was kept; null for a place date-holidays does not know.
 */
export function holidayZone(place: string): string | null {
  const known = zones.get(place);
  if (known !== undefined) return known;
  const zone = placeZone(place);
  // The places a workspace imported are few; a row edited by hand is not let grow the map.
  if (zones.size >= KEPT_ZONES) zones.clear();
  zones.set(place, zone);
  return zone;
}

function placeZone(place: string): string | null {
  const [country = '', region = ''] = place.split('-');
  const calendar = new Holidays();
  if (!(country in calendar.getCountries())) return null;
  if (region && !(region in (calendar.getStates(country) ?? {}))) return null;
  calendar.init(country, region);
  return zoneOf(calendar);
}
