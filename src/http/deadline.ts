import type { MiddlewareHandler } from 'hono';
import { within } from '../lib/settle-within';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';

/**
 * No caller waits longer than REQUEST_TIMEOUT_MS: past it the request is answered 503 with
 * `Retry-After`, whatever it was waiting for (a database that stopped answering without
 * closing the connection is the case timeouts on the connection itself cannot see). The work
 * left running finishes or fails on its own; streamed imports, which may rightly take
 * minutes, are exempt (defineRoute leaves them out).
 */
export const withinDeadline: MiddlewareHandler<AppEnv> = async (c, next) => {
  const ms = c.var.deps.config.requestTimeoutMs;
  await within(
    next(),
    ms,
    () =>
      new AppError(
        'unavailable',
        `The request did not finish within ${ms} ms; retry shortly.`,
        undefined,
        Math.max(1, Math.ceil(ms / 1000)),
      ),
  );
};
