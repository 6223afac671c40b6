import type { Context, MiddlewareHandler } from 'hono';
import { within } from '../lib/settle-within';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';

/**
 * Reads whose work grows with data or with the range asked for. Each instance runs at most
 * ANALYTICS_CONCURRENCY of them at once and queues the rest (within the request timeout), so
 * analysts looping over reports cannot take every core from the notices API. The console's
 * heavy pages (contact reasons, spikes, reports) take their turn themselves, once their period
 * is checked: a period they refuse is answered at once, not after the queue.
 */
export const HEAVY_READS = [
  '/v1/reports/*',
  '/v1/reasons',
  '/v1/reasons/weekly',
  '/v1/events/occurrences',
  '/v1/patterns',
  '/v1/spikes',
  '/v1/campaigns/:id/impact',
];

export const heavyRead: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'GET') return next();
  await inHeavyReadTurn(c, next);
};

/**
 * `work` once one of the instance's heavy-read slots is free; a request that waited out its
 * time in the queue is answered 503 and its work never runs.
 */
export async function inHeavyReadTurn<T>(c: Context<AppEnv>, work: () => Promise<T>): Promise<T> {
  const ms = c.var.deps.config.requestTimeoutMs;
  let gaveUp = false;
  // Skipped once its request gave up: that one was answered 503, and nothing reads the value.
  const run = c.var.deps.heavyReads(async () => (gaveUp ? (undefined as T) : work()));
  try {
    return await within(
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
}
