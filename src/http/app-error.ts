import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { UNKNOWN_FIELD } from './strict-body';
import { explainUnionIssues, type SchemaIssue } from './union-issues';

export type FieldError = { location: string; path: string; message: string };

/** Stable machine codes: clients branch on these, never on `detail` text. */
export const ERROR_CODES = {
  validation_failed: 400,
  malformed_body: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  stored_under_other_source: 409,
  last_admin_key: 409,
  idempotency_key_in_use: 409,
  idempotency_answer_lost: 409,
  idempotency_key_reused: 422,
  precondition_failed: 412,
  unknown_reason: 422,
  payload_too_large: 413,
  headers_too_large: 431,
  unsupported_media_type: 415,
  invalid_calendar: 422,
  range_too_large: 422,
  rate_limited: 429,
  not_ready: 503,
  unavailable: 503,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'Request validation failed',
  malformed_body: 'Malformed request body',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  stored_under_other_source: 'Tickets stored already under another source',
  last_admin_key: 'Cannot revoke the last admin key',
  idempotency_key_in_use: 'A request with this Idempotency-Key is still being processed',
  idempotency_answer_lost:
    'The request with this Idempotency-Key was carried out; its answer was lost',
  idempotency_key_reused: 'This Idempotency-Key was used for a different request',
  precondition_failed: 'Precondition failed: the resource has changed',
  unknown_reason: 'Unknown contact reason',
  payload_too_large: 'Payload too large',
  headers_too_large: 'Request header fields too large',
  unsupported_media_type: 'Unsupported media type',
  invalid_calendar: 'Invalid calendar or recurrence rule',
  range_too_large: 'Range too large',
  rate_limited: 'Too many requests',
  not_ready: 'Service not ready',
  unavailable: 'Service temporarily unavailable',
  internal: 'Internal server error',
};

/** The one error type the API throws; `onError` renders it as application/problem+json. */
export class AppError extends Error {
  readonly status: ContentfulStatusCode;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** Sent as `Retry-After` (seconds) with a 429 or 503: the condition is expected to pass. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERROR_CODES[code];
  }

  get title(): string {
    return TITLES[this.code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} was not found.`);

/** One FieldError per schema issue; `pathOf` renames paths (e.g. to CSV line and column). */
export function fieldErrors(
  issues: readonly SchemaIssue[],
  location: string,
  pathOf: (path: PropertyKey[]) => string = (path) => path.map(String).join('.'),
): FieldError[] {
  return explainUnionIssues(issues)
    .flatMap(eachUnknownKey)
    .map((issue) => ({ location, path: pathOf(issue.path), message: issue.message }));
}

/** An object's unknown keys are one issue to zod; a caller fixes them one field at a time. */
function eachUnknownKey(issue: SchemaIssue): SchemaIssue[] {
  if (issue.code !== 'unrecognized_keys' || !issue.keys) return [issue];
  // `strictBody` writes a line per key; an object closed elsewhere has zod's one message.
  const lines = issue.message.split('\n');
  return issue.keys.map((key, i) => ({
    path: [...issue.path, key],
    message: lines.length === issue.keys?.length ? (lines[i] ?? UNKNOWN_FIELD) : UNKNOWN_FIELD,
  }));
}
