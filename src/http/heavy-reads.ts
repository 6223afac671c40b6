import type { MiddlewareHandler } from 'hono';
import { within } from '../lib/settle-within';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';

/**
 * Reads whose work grows with data or with the range asked for. Each instance runs at most
 * ANALYTICS_CONCURRENCY of them at once and queues the rest (within the request timeout), so
 * analysts looping over reports cannot take every core from the notices API.
 */
export const HEAVY_READS = [
  '/v1/reports/*',
  '/v1/reasons',
  '/v1/reasons/weekly',
  '/v1/events/occurrences',
  '/v1/patterns',
  '/v1/spikes',
  '/v1/campaigns/:id/impact',
  '/console/reasons',
  '/console/spikes',
  '/console/reports',
  '/console/reports.csv',
];

export const heavyRead: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'GET') return next();
  const ms = c.var.deps.config.requestTimeoutMs;
  let gaveUp = false;
  // A request that waited out its time in the queue is answered 503 and never runs.
  const run = c.var.deps.heavyReads(async () => {
    if (!gaveUp) await next();
  });
  try {
    await within(
      run,
      ms,
      () =>
        new AppError(
          'unavailable',
          `Other heavy reads kept this one waiting for ${ms} ms; retry shortly.`,
          undefined,
          Math.max(1, Math.ceil(ms / 1000)),
        ),
    );
  } catch (error) {
    gaveUp = true;
    throw error;
  }
};
