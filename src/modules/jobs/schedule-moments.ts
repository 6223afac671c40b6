/**
 * The moments a five-field cron schedule (UTC) names, read without node-cron: the Worker
 * bundle must not carry it (it imports child_process).
 */

type Fields = {
  minute: Set<number>;
  hour: Set<number>;
  day: Set<number>;
  month: Set<number>;
  weekday: Set<number>;
};

const BOUNDS = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
] as const;

const PART = /^(?:\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

function parseField(text: string, [min, max]: readonly [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = PART.exec(part);
    if (!match) throw new Error(`unsupported cron field '${text}'`);
    const [, first, last, every] = match;
    const from = first === undefined ? min : Number(first);
    const to = last !== undefined ? Number(last) : first === undefined || every ? max : from;
    const step = every === undefined ? 1 : Number(every);
    if (from < min || to > max || from > to || step < 1) {
      throw new Error(`cron field '${text}' is out of ${min}-${max}`);
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

function parseSchedule(schedule: string): Fields {
  const texts = schedule.trim().split(/\s+/);
  if (texts.length !== 5) throw new Error(`'${schedule}' is not a five-field cron schedule`);
  const [minute, hour, day, month, weekday] = texts.map((text, i) =>
    parseField(text, BOUNDS[i] as readonly [number, number]),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  // node-cron requires both to match, classic cron either: a schedule must not depend on which.
  if (texts[2] !== '*' && texts[4] !== '*') {
    throw new Error(`'${schedule}' restricts both the day of the month and the weekday`);
  }
  if (weekday.delete(7)) weekday.add(0);
  return { minute, hour, day, month, weekday };
}

export const minuteOf = (time: Date) => new Date(Math.floor(time.getTime() / 60_000) * 60_000);

/** Enough steps back for any schedule that matches at least once in eight years (Feb 29). */
const MAX_STEPS = 20_000;

/**
 * The latest minute at or before `notAfter` that the schedule names, or undefined when it
 * names none. Walks back a month, day or hour at a time past those that do not match.
 */
export function latestMoment(schedule: string, notAfter: Date): Date | undefined {
  const fields = parseSchedule(schedule);
  const at = minuteOf(notAfter);
  for (let step = 0; step < MAX_STEPS; step++) {
    if (!fields.month.has(at.getUTCMonth() + 1)) {
      at.setUTCDate(0);
      at.setUTCHours(23, 59);
    } else if (!fields.day.has(at.getUTCDate()) || !fields.weekday.has(at.getUTCDay())) {
      at.setUTCHours(0, -1);
    } else if (!fields.hour.has(at.getUTCHours())) {
      at.setUTCMinutes(-1);
    } else if (!fields.minute.has(at.getUTCMinutes())) {
      at.setUTCMinutes(at.getUTCMinutes() - 1);
    } else {
      return at;
    }
  }
  return undefined;
}
