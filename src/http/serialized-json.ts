import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * A JSON answer already serialized (on a compute thread, where it was computed), typed as the
 * value it encodes so the route still checks against its OpenAPI schema. UTF-8 bytes made on a
 * thread come over without a copy and go out without being encoded again.
 */
export function serializedJson<T>(c: Context, text: string | Uint8Array<ArrayBuffer>) {
  const response: Response = c.body(text, 200, { 'content-type': 'application/json' });
  return response as Response & TypedResponse<T, 200 & ContentfulStatusCode, 'json'>;
}
