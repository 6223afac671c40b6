import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './app-env';
import { AppError } from './app-error';

const tooLarge = (maxBytes: number, what = 'The request body') =>
  new AppError('payload_too_large', `${what} exceeds ${maxBytes} bytes.`);

/** For bodies parsed whole (JSON): refuses anything over BODY_LIMIT_BYTES. */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  const maxSize = c.var.deps.config.bodyLimitBytes;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(maxSize);
    },
  })(c, next);
};

/**
 * For bodies read as a stream (imports): passes bytes through and fails past `maxBytes`;
 * `what` names the bytes counted in the answer (an expanded gzip body is not what was sent).
 */
export function limitStream(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  what?: string,
): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) controller.error(tooLarge(maxBytes, what));
        else controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * `limitBody` for a route that answers an over-limit body itself (a form shown again with
 * the field marked), given the size the request declared when it declared one. The body is
 * not read past the limit either way.
 */
export const limitBodyOr =
  (
    answer: (c: Context<AppEnv>, declaredBytes: number | undefined) => Response | Promise<Response>,
  ): MiddlewareHandler<AppEnv> =>
  (c, next) =>
    bodyLimit({
      maxSize: c.var.deps.config.bodyLimitBytes,
      onError: (c) => answer(c, declaredLength(c)),
    })(c, next);

/** Content-Length as hono's bodyLimit trusts it: only without a Transfer-Encoding. */
function declaredLength(c: Context<AppEnv>): number | undefined {
  if (c.req.header('transfer-encoding')) return undefined;
  const length = Number(c.req.header('content-length'));
  return Number.isSafeInteger(length) && length > 0 ? length : undefined;
}
