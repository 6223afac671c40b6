import { sql } from 'drizzle-orm';
import { jsonParam, rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';

/**
 * Data-quality anomalies: a day on which a reason received weeks' worth of tickets at once (a
 * backfill, a migration, a re-import). A day is an anomaly when at least two reasons dumped
 * on it (each at least 3 usual weeks' worth and 15 tickets), or one reason dumped at least 5
 * usual weeks' worth and 50 tickets. The usual week is the median of the 12 before; only a
 * week itself and the weeks before it decide, like every verdict.
 */

export type DataAnomaly = { reason: string; day: string; week: string; contacts: number };

const REFERENCE_WEEKS = 12;
const SUSPECT_RATIO = 3;
const SUSPECT_MIN = 15;
const ALONE_RATIO = 5;
const ALONE_MIN = 50;

export async function findDataAnomalies(
  deps: Deps,
  weeks: string[],
  series: Map<string, number[]>,
): Promise<DataAnomaly[]> {
  const suspects: { reason: string; week: number; usual: number }[] = [];
  // The 12 weeks before w, kept sorted as the window slides (one week in, one out): every
  // week of every reason, on the request thread.
  const before = new Float64Array(REFERENCE_WEEKS + 1);
  for (const [reason, counts] of series) {
    let size = 0;
    for (let w = 0; w < counts.length; w++) {
      const leaving = w - 1 - REFERENCE_WEEKS;
      if (w > 0) {
        size = slide(
          before,
          size,
          counts[w - 1] ?? 0,
          leaving >= 0 ? (counts[leaving] ?? 0) : undefined,
        );
      }
      const usual = Math.max(1, median(before.subarray(0, size)));
      if ((counts[w] ?? 0) >= Math.max(SUSPECT_MIN, SUSPECT_RATIO * usual)) {
        suspects.push({ reason, week: w, usual });
      }
    }
  }
  if (suspects.length === 0) return [];
  const days = rowsOf<{ reason: string; week: number; day: string; contacts: number }>(
    await deps.db.execute(sql`
      select s.reason, s.week, d.day::text as day, d.contacts
      from jsonb_to_recordset(${jsonParam(
        suspects.map((s) => ({ reason: s.reason, week: s.week, monday: weeks[s.week] })),
      )}) as s(reason text, week int, monday date)
      join reason_days d on d.reason_slug = s.reason
        and d.day >= s.monday and d.day < s.monday + 7`),
  );
  const usualOf = new Map(suspects.map((s) => [`${s.reason}|${s.week}`, s.usual]));
  const dumpsByDay = new Map<string, (DataAnomaly & { ratio: number })[]>();
  for (const d of days) {
    const usual = usualOf.get(`${d.reason}|${d.week}`) ?? 1;
    if (d.contacts < Math.max(SUSPECT_MIN, SUSPECT_RATIO * usual)) continue;
    const list = dumpsByDay.get(d.day) ?? [];
    list.push({
      reason: d.reason,
      day: d.day,
      week: weeks[d.week] ?? '',
      contacts: d.contacts,
      ratio: d.contacts / usual,
    });
    dumpsByDay.set(d.day, list);
  }
  const anomalies: DataAnomaly[] = [];
  for (const dumps of dumpsByDay.values()) {
    const alone = dumps.length === 1 && dumps[0];
    if (alone && (alone.contacts < ALONE_MIN || alone.ratio < ALONE_RATIO)) continue;
    for (const { ratio: _, ...anomaly } of dumps) anomalies.push(anomaly);
  }
  return anomalies.sort((a, b) => a.day.localeCompare(b.day) || a.reason.localeCompare(b.reason));
}

/**
 * Inserts `incoming` into the first `size` values of `sorted` (ascending) and, when a week
 * leaves the window, removes one value equal to `outgoing`. Returns the new size.
 */
function slide(
  sorted: Float64Array,
  size: number,
  incoming: number,
  outgoing: number | undefined,
): number {
  let j = size - 1;
  for (; j >= 0 && (sorted[j] as number) > incoming; j--) sorted[j + 1] = sorted[j] as number;
  sorted[j + 1] = incoming;
  if (outgoing === undefined) return size + 1;
  let k = sorted.indexOf(outgoing);
  for (; k < size; k++) sorted[k] = sorted[k + 1] as number;
  return size;
}

/** The median of values sorted ascending. */
function median(sorted: Float64Array): number {
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
