import type { Context } from 'hono';
import { within } from '../lib/settle-within';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';

/**
 * `work` once one of the instance's heavy-read slots is free; a request that waited out its
 * time in the queue is answered 503 and its work never runs.
 *
 * Heavy reads are those whose work grows with data or with the range asked for (reports,
 * reasons, weekly series, occurrences, patterns, spikes, a campaign's impact). Each instance
 * runs at most ANALYTICS_CONCURRENCY of them at once and queues the rest, so analysts looping
 * over reports cannot take every core from the notices API. Their handlers take the turn
 * themselves, once the key, the query and the period are checked: a request refused for any
 * of those is answered at once, not after the queue.
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
