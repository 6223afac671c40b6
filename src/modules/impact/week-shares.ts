/**
 * How much of a week's contacts falls between two moments of it, from the hour-of-week profile
 * of recent contacts (168 buckets from Monday 00:00, workspace time): a window that starts on
 * a Thursday afternoon expects Thursday afternoon's share of that week, not 4/7 of it.
 */

export const HOURS_PER_WEEK = 168;

/** Share of the week's contacts in hours [from, to) of it (fractional hours pro rata). */
export function weekShare(profile: readonly number[], from: number, to: number): number {
  // One contact's worth spread over the week keeps a sparse profile from claiming zeros.
  const weight = (hour: number) => (profile[hour] ?? 0) + 1 / HOURS_PER_WEEK;
  let total = 0;
  for (let hour = 0; hour < HOURS_PER_WEEK; hour++) total += weight(hour);
  const lo = Math.max(0, Math.min(HOURS_PER_WEEK, from));
  const hi = Math.max(lo, Math.min(HOURS_PER_WEEK, to));
  let inside = 0;
  for (let hour = Math.floor(lo); hour < Math.ceil(hi); hour++) {
    const covered = Math.min(hi, hour + 1) - Math.max(lo, hour);
    inside += weight(hour) * covered;
  }
  return inside / total;
}

/**
 * The share of each week of a window inside it, from the window's first week: `startHour` is
 * where the window starts in its first week, `endHour` where it ends in its last, both in
 * hours since that week's Monday 00:00.
 */
export function windowShares(
  profile: readonly number[],
  weeks: number,
  startHour: number,
  endHour: number,
): number[] {
  return Array.from({ length: weeks }, (_, w) =>
    weekShare(profile, w === 0 ? startHour : 0, w === weeks - 1 ? endHour : HOURS_PER_WEEK),
  );
}
