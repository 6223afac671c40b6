import { z } from '@hono/zod-openapi';

/**
 * A whole number in a query string (`?weeks=26`). Decimal digits only: `z.coerce.number()`
 * took `weeks=` for 0 and `weeks=0x10` for 16.
 */
export const wholeNumberInput = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value),
    z.number({ error: 'must be a whole number written in digits' }).int().min(min).max(max),
  );
