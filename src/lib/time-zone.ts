/** Whether the runtime knows `name` as a time zone (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const DAY_MS = 86_400_000;

/**
 * A zone's local time as "floating" milliseconds (a Date whose UTC fields read the local date
 * and time, which is what rrule expands), and back. Null for a zone that is always UTC, where
 * the two are the same.
 */
export type ZoneClock = {
  toWallClock(instant: number): number;
  toInstant(wallClock: number): number;
};

const clocks = new Map<string, ZoneClock | null>();

export function zoneClock(timeZone: string): ZoneClock | null {
  let clock = clocks.get(timeZone);
  if (clock === undefined) {
    const utc = new Intl.DateTimeFormat('en', { timeZone }).resolvedOptions().timeZone === 'UTC';
    clock = utc ? null : clockOf(zoneOffsets(timeZone));
    clocks.set(timeZone, clock);
  }
  return clock;
}

function clockOf(offsetAt: (instant: number) => number): ZoneClock {
  return {
    toWallClock: (instant) => instant + offsetAt(instant),
    // RFC 5545 §3.3.5: a local time that occurs twice is the first; one skipped by a change
    // is read with the offset in force before it (02:30 on a spring-forward day is 03:30).
    toInstant(wallClock) {
      const before = offsetAt(wallClock - DAY_MS);
      const after = offsetAt(wallClock + DAY_MS);
      const first = wallClock - before;
      if (before === after || offsetAt(first) === before) return first;
      const second = wallClock - after;
      return offsetAt(second) === after ? second : first;
    },
  };
}

/**
 * The zone's UTC offset at an instant. Asking Intl takes ~20 µs, and an expansion asks for
 * every occurrence: offsets are kept per UTC midnight, and a day whose two midnights agree is
 * taken to have no change in between (no zone changes its offset and back within a day).
 */
function zoneOffsets(timeZone: string): (instant: number) => number {
  const askIntl = intlOffsets(timeZone);
  const midnights = new Map<number, number>();
  const atMidnight = (day: number) => {
    let offset = midnights.get(day);
    if (offset === undefined) {
      offset = askIntl(day * DAY_MS);
      midnights.set(day, offset);
    }
    return offset;
  };
  return (instant) => {
    const day = Math.floor(instant / DAY_MS);
    const start = atMidnight(day);
    return start === atMidnight(day + 1) ? start : askIntl(instant);
  };
}

// date-fns-tz's getTimezoneOffset reads its date as a wall-clock time near a change (06:30Z
// on New York's spring-forward day gives -4 h, not -5 h): the offset is read from Intl.
function intlOffsets(timeZone: string): (instant: number) => number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (instant) => {
    const part: Record<string, number> = {};
    for (const { type, value } of format.formatToParts(instant)) part[type] = Number(value);
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = part;
    const wholeSecond = Math.floor(instant / 1000) * 1000;
    return Date.UTC(year, month - 1, day, hour, minute, second) - wholeSecond;
  };
}
