import { type ExposureColumns, exposurePeriod } from './exposure-period';
import type { Exposure } from './impact-schemas';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/**
 * A publication this soon after the planned start, or an email this soon before it, is not
 * worth a note.
 */
const NOTED_DELAY_MS = 5 * MINUTE_MS;

const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** A delay in the unit a reader would say it in: minutes, hours under two days, or days. */
function delay(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  if (minutes < 60) return count(minutes, 'minute');
  const hours = Math.round(ms / HOUR_MS);
  return hours < 48 ? count(hours, 'hour') : count(Math.round(ms / DAY_MS), 'day');
}

/**
 * A campaign's exposure period as the impact API and the report show it: where its
 * measurement starts and when it stopped reaching accounts, and, when it is not measured from
 * its planned start, why.
 */
export function exposureView(row: ExposureColumns): Exposure {
  const { start, end, from } = exposurePeriod(row);
  const note = (() => {
    switch (from) {
      case 'publication': {
        const late = (start?.getTime() ?? 0) - (row.startsAt?.getTime() ?? 0);
        // A start typed to the minute and published at once is not worth a note in a report.
        if (late < NOTED_DELAY_MS) return null;
        return `published ${delay(late)} after its planned start; measured from publication`;
      }
      case 'first_email': {
        if (row.cancelledAt) {
          return (
            'cancelled before its planned start, after its email went out; measured from its ' +
            'first email to its cancellation'
          );
        }
        const early = (row.startsAt?.getTime() ?? 0) - (start?.getTime() ?? 0);
        if (early < NOTED_DELAY_MS) return null;
        return `its email went out ${delay(early)} before its planned start; measured from its first email`;
      }
      case 'cancellation':
        return 'cancelled before its planned start; measured from its cancellation';
      default:
        return null;
    }
  })();
  return {
    measured_from: start?.toISOString() ?? null,
    ends_at: end?.toISOString() ?? null,
    note,
  };
}
