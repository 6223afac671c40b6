import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * A JSON answer already serialized (on a compute thread, where it was computed), typed as the
 * value it encodes so the route still checks against its OpenAPI schema.
 */
export function serializedJson<T>(c: Context, text: string) {
  return c.body(text, 200, { 'content-type': 'application/json' }) as unknown as Response &
    TypedResponse<T, 200 & ContentfulStatusCode, 'json'>;
}
