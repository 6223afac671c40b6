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
 * the field marked), given the size the request declared when it declared one. Nothing past
 * the limit is kept; the rest is read and thrown away before answering (up to four times the
 * limit, for 30 seconds), as a browser still sending its upload when the server hangs up (and
 * Node's adapter hangs up half a second after an answer sent early) shows a connection reset,
 * not the answer. Past those bounds the answer closes the connection.
 */
export const limitBodyOr =
  (
    answer: (c: Context<AppEnv>, declaredBytes: number | undefined) => Response | Promise<Response>,
  ): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return next();
    const maxBytes = c.var.deps.config.bodyLimitBytes;
    const declared = declaredLength(c);
    if (declared !== undefined) {
      if (declared <= maxBytes) return next();
      // Longer than the rest would be read for: answered at once, the connection closed.
      if (declared > maxBytes * DISCARD_FACTOR)
        return closingUnless(false, await answer(c, declared));
      return answerOnceRead(body.getReader(), maxBytes * DISCARD_FACTOR, () => answer(c, declared));
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        return answerOnceRead(reader, maxBytes * DISCARD_FACTOR - size, () => answer(c, undefined));
      }
      chunks.push(value);
    }
    c.req.raw = new Request(c.req.raw, { body: concat(chunks, size) });
    return next();
  };

/** How many times the body limit an over-limit upload is read to its end before the answer. */
const DISCARD_FACTOR = 4;
const DISCARD_MS = 30_000;

/** Reads `reader` to its end, discarding it: true if it ended within `maxBytes` and time. */
async function discardRest(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), DISCARD_MS);
  });
  let left = maxBytes;
  try {
    for (;;) {
      const read = await Promise.race([reader.read(), late]);
      if (read === 'late') return false;
      if (read.done) return true;
      left -= read.value.byteLength;
      if (left < 0) return false;
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `answer` to a request whose body it does not want (a form sent by someone signed out), once
 * that body is read and thrown away within the bounds an over-limit upload gets, for the same
 * reason: a browser still sending it when the server hangs up shows a reset, not the answer.
 */
export async function answerAfterBody(
  c: Context<AppEnv>,
  answer: () => Response | Promise<Response>,
): Promise<Response> {
  const body = c.req.raw.body;
  if (!body || body.locked) return answer();
  return answerOnceRead(
    body.getReader(),
    c.var.deps.config.bodyLimitBytes * DISCARD_FACTOR,
    answer,
  );
}

/** `answer`, once the rest of `reader` is read and thrown away, or closing the connection. */
async function answerOnceRead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  answer: () => Response | Promise<Response>,
): Promise<Response> {
  const drained = await discardRest(reader, maxBytes);
  return closingUnless(drained, await answer());
}

function closingUnless(drained: boolean, response: Response): Response {
  if (!drained) response.headers.set('connection', 'close');
  return response;
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Content-Length as hono's bodyLimit trusts it: only without a Transfer-Encoding. */
function declaredLength(c: Context<AppEnv>): number | undefined {
  if (c.req.header('transfer-encoding')) return undefined;
  const length = Number(c.req.header('content-length'));
  return Number.isSafeInteger(length) && length > 0 ? length : undefined;
}
