import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';
import { AppError, type FieldError } from './app-error';
import { NOT_EXACT, NOT_FINITE, TOO_DEEP, unsafeTextIn, unsafeTextProblem } from './safe-text';

/**
 * The request's path segments and query parameters, decoded, must be text Postgres can hold
 * (`%00` and encoded unpaired surrogates are refused here, once, for every route).
 */
export const safeUrlText: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = new URL(c.req.url);
  const errors: FieldError[] = [];
  for (const segment of url.pathname.split('/')) {
    const message = unsafeTextProblem(decodeOrRaw(segment));
    if (message) errors.push({ location: 'path', path: decodeSafe(segment), message });
  }
  for (const [name, value] of url.searchParams) {
    const message = unsafeTextProblem(name) ?? unsafeTextProblem(value);
    if (message) errors.push({ location: 'query', path: withoutRefused(name), message });
  }
  if (errors.length > 0) throw invalidText(errors);
  await next();
};

const decodeOrRaw = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};
const withoutRefused = (text: string) =>
  text.replaceAll(String.fromCharCode(0), '').replace(/[\uD800-\uDFFF]/g, '');
const decodeSafe = (segment: string) => withoutRefused(decodeOrRaw(segment));

/**
 * One summary of what was refused: unreadable text, numbers too large, integers that would be
 * rounded, nesting too deep.
 */
function invalidText(errors: FieldError[]): AppError {
  const tooDeep = errors.filter((error) => error.message === TOO_DEEP);
  const tooLarge = errors.filter((error) => error.message === NOT_FINITE).length;
  const inexact = errors.filter((error) => error.message === NOT_EXACT).length;
  const badText = errors.length - tooDeep.length - tooLarge - inexact;
  const parts = [
    ...(badText > 0
      ? [
          `${badText} field${badText === 1 ? '' : 's'} with text forestall cannot read ` +
            '(a NUL character or an unpaired surrogate)',
        ]
      : []),
    ...(tooLarge > 0
      ? [`${tooLarge} number${tooLarge === 1 ? '' : 's'} too large to hold (beyond about ±1.8e308)`]
      : []),
    ...(inexact > 0
      ? [
          `${inexact} integer${inexact === 1 ? '' : 's'} beyond ±9007199254740991 (2^53 − 1), ` +
            'which would not be kept exactly: send such values as strings',
        ]
      : []),
    ...tooDeep.map((error) => `the ${error.location} ${TOO_DEEP}`),
  ];
  const detail = parts.join(', and ');
  return new AppError(
    'validation_failed',
    `${detail[0]?.toUpperCase()}${detail.slice(1)}.`,
    errors,
  );
}

const hasBody = (request: Request) =>
  request.body !== null && request.headers.get('content-length') !== '0';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** The media type of the request body, lower-cased, without parameters. */
export const mediaTypeOf = (header: string | undefined) =>
  header?.split(';')[0]?.trim().toLowerCase() ?? '';

/** 415 unless the body is one of the media types the route declares (any `+json` for JSON). */
export function acceptMediaTypes(mediaTypes: readonly string[]): MiddlewareHandler<AppEnv> {
  const takesJson = mediaTypes.includes('application/json');
  return async (c, next) => {
    const type = mediaTypeOf(c.req.header('content-type'));
    // No body at all is the validator's to refuse (400 naming the missing body), not a 415.
    if (type === '' && !hasBody(c.req.raw)) return next();
    if (!(takesJson && JSON_TYPE.test(type)) && !mediaTypes.includes(type)) {
      throw new AppError(
        'unsupported_media_type',
        `Send the body as ${mediaTypes.join(' or ')}${type ? `, not ${type}` : ''}.`,
      );
    }
    await next();
  };
}

/**
 * Parses a JSON body once (400 when it is not JSON; the route's validator reads the same
 * parse through c.req.json()) and refuses strings, keys included, that `unsafeTextProblem`
 * refuses, numbers too large to hold, and integers a double would round.
 */
export const safeJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!hasBody(c.req.raw) && c.req.header('content-type') === undefined) return next();
  let source: string;
  let body: unknown;
  try {
    // What c.req.json() does (the text is cached either way), keeping the text for the walk.
    source = await c.req.text();
    body = JSON.parse(source);
  } catch {
    throw new AppError('malformed_body', 'The request body is not valid JSON.');
  }
  const errors = unsafeTextIn(body, 'body', source);
  if (errors.length > 0) throw invalidText(errors);
  // The route's validator reads the body through c.req.json(), which parses the text again
  // (a 5,000-ticket batch is 1.2 MB): it gets this parse. Nothing here changes it.
  c.req.json = <T>() => Promise.resolve(body as T);
  await next();
};
