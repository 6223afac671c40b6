import { AppError } from '../../http/app-error';
import { weekCount } from './weeks';

/** A range of Mondays a caller asked for: `from` not after `to`, at most `maxWeeks` long. */
export function checkWeekRange(from: string, to: string, maxWeeks: number): void {
  if (from > to) {
    throw new AppError('validation_failed', '`from` must not be after `to`.', [
      { location: 'query', path: 'from', message: 'must not be after to' },
    ]);
  }
  if (weekCount(from, to) > maxWeeks) {
    throw new AppError('validation_failed', `At most ${maxWeeks} weeks per request.`, [
      { location: 'query', path: 'from', message: `range exceeds ${maxWeeks} weeks` },
    ]);
  }
}
