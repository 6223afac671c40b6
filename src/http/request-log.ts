import type { Logger } from '../logger';

/** One info line per answered request; the Hono app and the Node notices fast path share it. */
export function logRequest(
  logger: Logger,
  requestId: string,
  method: string,
  path: string,
  status: number,
  startedAt: number,
): void {
  logger.info('request', {
    request_id: requestId,
    method,
    path,
    status,
    ms: Math.round(performance.now() - startedAt),
  });
}
