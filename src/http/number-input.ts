import { z } from '@hono/zod-openapi';

const NOT_DIGITS = 'must be a whole number written in digits';

/**
 * A whole number in a query string (`?weeks=26`). Decimal digits only: `z.coerce.number()`
 * took `weeks=` for 0 and `weeks=0x10` for 16. A number in digits outside the range is told
 * its bound, however many digits it has: the bounds abort before `int()`, which would add a
 * second complaint about a number past 2^53.
 */
export const wholeNumberInput = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    z
      .number({ error: (issue) => (issue.code === 'invalid_type' ? NOT_DIGITS : undefined) })
      .min(min, { error: `must be at least ${min}`, abort: true })
      .max(max, { error: `must be at most ${max}`, abort: true })
      .int(),
  );
