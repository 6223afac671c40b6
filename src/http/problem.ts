import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  DATABASE_RETRY_AFTER_SECONDS,
  type DatabaseFailure,
  databaseErrorSummary,
  databaseFailure,
} from '../db/database-errors';
import type { Logger } from '../logger';
import { AppError, ERROR_CODES, type FieldError } from './app-error';
import { loggablePath } from './request-log';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * A problem lists at most this many bad fields, so one mistake repeated across a batch of
 * thousands keeps the answer small; `errors_omitted` counts the others.
 */
export const MAX_LISTED_ERRORS = 100;

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://forestall.dev/problems/validation_failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z
      .string()
      .openapi({ description: 'The request id; quote it when reporting a problem.' }),
    code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES]),
    errors: z
      .array(
        z.object({
          location: z.string().openapi({ example: 'body' }),
          path: z.string().openapi({ example: 'items.3.created_at' }),
          message: z.string(),
        }),
      )
      .max(MAX_LISTED_ERRORS)
      .optional(),
    errors_omitted: z
      .number()
      .int()
      .optional()
      .openapi({
        description:
          `How many more bad fields there are than \`errors\` lists (the first ${MAX_LISTED_ERRORS}, ` +
          'in the order of the request); absent when it lists them all. Fix those listed and ' +
          'send again to see the rest.',
      }),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof ProblemSchema>;

export function toProblem(error: AppError, requestId: string): Problem {
  return {
    type: `https://forestall.dev/problems/${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    instance: requestId,
    code: error.code,
    ...(error.errors ? listed(error.errors) : {}),
  };
}

function listed(errors: FieldError[]): Pick<Problem, 'errors' | 'errors_omitted'> {
  if (errors.length <= MAX_LISTED_ERRORS) return { errors };
  return {
    errors: errors.slice(0, MAX_LISTED_ERRORS),
    errors_omitted: errors.length - MAX_LISTED_ERRORS,
  };
}

/** The headers and body of a problem answer, whatever serves it. */
export function problemAnswer(error: AppError, requestId: string) {
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (error.status === 401) headers['www-authenticate'] = 'Bearer';
  if (error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(error.retryAfterSeconds);
  }
  return { status: error.status, headers, body: JSON.stringify(toProblem(error, requestId)) };
}

export function renderProblem(c: Context, error: AppError): Response {
  const { status, headers, body } = problemAnswer(error, c.get('requestId') ?? 'unknown');
  return c.body(body, status, headers);
}

/** Maps anything thrown inside a request to the AppError it should be shown as. */
export function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const database = databaseFailure(error);
  if (database) return databaseProblem(database);
  if (error instanceof HTTPException) {
    if (error.status === 400) return new AppError('malformed_body', error.message);
    if (error.status === 401) return new AppError('unauthorized', error.message);
    if (error.status === 413) return new AppError('payload_too_large', error.message);
  }
  return undefined;
}

function databaseProblem(failure: DatabaseFailure): AppError {
  switch (failure) {
    case 'transient':
      return new AppError(
        'unavailable',
        'The database is unavailable or busy; retry shortly.',
        undefined,
        DATABASE_RETRY_AFTER_SECONDS,
      );
    case 'bad_value':
      return new AppError(
        'validation_failed',
        'A value in the request is not one the database can hold (a date or number out of range, or text with a character it cannot store).',
      );
    case 'conflict':
      return new AppError('conflict', 'The request conflicts with stored data.');
  }
}

/** The request a failure is logged under. */
export type FailedRequest = { requestId: string; method: string; path: string };

/**
 * What anything thrown inside a request is answered as, logged as the app logs it: a database
 * failure answered as a problem is worth a warning, anything unknown an error and a 500 (with
 * no stack or SQL in the answer). The Hono app's `onError` and the notices answer share it.
 */
export function answerableError(logger: Logger, error: unknown, request: FailedRequest): AppError {
  const known = asAppError(error);
  const where = {
    request_id: request.requestId,
    method: request.method,
    path: loggablePath(request.path),
  };
  if (known && !(error instanceof AppError)) {
    logger.warn('database error answered as a problem', {
      ...where,
      status: known.status,
      error: databaseErrorSummary(error),
    });
  }
  if (known) return known;
  logger.error('unhandled error', {
    ...where,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    cause: error instanceof Error && error.cause ? String(error.cause) : undefined,
  });
  return new AppError('internal', 'An unexpected error occurred.');
}
