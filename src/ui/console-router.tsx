import { type Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { Role } from '../db/schema';
import type { Deps } from '../deps';
import type { AppEnv } from '../http/app-env';
import { AppError, ERROR_CODES, notFound } from '../http/app-error';
import { answerAfterBody } from '../http/body-limit';
import { answerableError, asAppError } from '../http/problem';
import { dayInput, EARLIEST_YEAR, LATEST_YEAR } from '../http/time-input';
import { getCampaign } from '../modules/campaigns/campaigns.service';
import { type Flash, PeriodControl } from '../view-kit/components';
import { formValues } from '../view-kit/form-state';
import { readSession, validCsrf } from './console-session';
import { ConsoleLayout, mayUse } from './layout';

export type ConsoleEnv = AppEnv;
export type ConsoleContext = Context<ConsoleEnv>;

export const createConsoleRouter = () => new Hono<ConsoleEnv>();

/** Signed in with one of `roles` (admin always), or sent to sign in / told it is not allowed. */
export function signedIn(roles: readonly Role[]) {
  return async (c: ConsoleContext, next: () => Promise<void>) => {
    const session = await readSession(c.var.deps, c);
    if (!session) {
      return answerAfterBody(c, () =>
        c.redirect(`/console/sign-in?next=${encodeURIComponent(c.req.path)}`, 303),
      );
    }
    c.set('session', session);
    c.set('principal', session.principal);
    if (!mayUse(session.principal.role, roles)) {
      return c.html(
        <ConsoleLayout title="Not allowed" session={session} path={c.req.path}>
          <h1>Not allowed</h1>
          <p>
            This page needs {withArticle(EITHER.format(new Set([...roles, 'admin'])))} key; you
            signed in with {withArticle(session.principal.role)} key.
          </p>
        </ConsoleLayout>,
        403,
      );
    }
    await next();
  };
}

/** `admin`, `ops or admin`, `ops, analyst, or admin`. */
const EITHER = new Intl.ListFormat('en', { type: 'disjunction' });

const withArticle = (phrase: string) => `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;

/**
 * More fields than any console form sends (the incident form, the largest, has two per status
 * component and a dozen more): a body with more is refused before it is parsed, as parsing and
 * reading hundreds of thousands of fields would hold the request thread for seconds.
 */
export const MAX_FORM_FIELDS = 1000;

/** How many fields a form body holds, counted up to one past `limit` without parsing it. */
export function countFormFields(body: Buffer, contentType: string, limit: number): number {
  const boundary = /;\s*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (/^multipart\/form-data/i.test(contentType) && boundary) {
    // Each part opens with the boundary, and one more closes the last.
    return Math.max(0, occurrences(body, Buffer.from(`--${boundary}`), limit + 2) - 1);
  }
  // urlencoded: fields are separated by `&`.
  return occurrences(body, Buffer.from('&'), limit + 1) + 1;
}

/** How often `part` occurs in `body`, counted up to `most`. */
function occurrences(body: Buffer, part: Buffer, most: number): number {
  let count = 0;
  for (
    let at = body.indexOf(part);
    at !== -1 && count < most;
    at = body.indexOf(part, at + part.length)
  ) {
    count += 1;
  }
  return count;
}

/**
 * The posted form, parsed once (later reads take it from the request's cache); a body its
 * Content-Type does not describe (a multipart one without its boundary, or cut short) is a
 * 400, not the parser's TypeError.
 */
export async function formBody(c: Context<AppEnv>) {
  try {
    return await c.req.parseBody({ all: true });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      'malformed_body',
      'The body cannot be read as a form; nothing was saved. Reload the page and send it again.',
    );
  }
}

/** A form post's fields, after its CSRF token has been checked (403 without a valid one). */
export async function postedForm(c: ConsoleContext): Promise<Record<string, string>> {
  // Read once: the parse below takes the same bytes from the request's cache.
  const body = Buffer.from(await c.req.arrayBuffer());
  if (
    countFormFields(body, c.req.header('content-type') ?? '', MAX_FORM_FIELDS) > MAX_FORM_FIELDS
  ) {
    throw new AppError(
      'payload_too_large',
      `The form has more than ${MAX_FORM_FIELDS} fields; no console form sends that many.`,
    );
  }
  const values = formValues(await formBody(c));
  if (!validCsrf(c.var.session, values._csrf)) {
    throw new AppError(
      'forbidden',
      'The form is stale or came from another site; reload the page and try again.',
    );
  }
  return values;
}

export type RenderOptions = {
  status?: 200 | 400 | 404 | 409 | 413 | 422;
  flash?: Flash;
  head?: Child;
};

/** A console page in the layout; the flash defaults to the message a redirect carried. */
export function render(
  c: ConsoleContext,
  title: string,
  content: Child,
  options: RenderOptions = {},
) {
  return c.html(
    <ConsoleLayout
      title={title}
      session={c.var.session}
      path={c.req.path}
      flash={options.flash ?? flashFrom(c)}
      head={options.head}
    >
      {content}
    </ConsoleLayout>,
    options.status ?? 200,
  );
}

/** After a successful post, redirect with a short message (post/redirect/get). */
export const done = (c: ConsoleContext, to: string, message: string) =>
  c.redirect(`${to}${to.includes('?') ? '&' : '?'}done=${encodeURIComponent(message)}`, 303);

const flashFrom = (c: ConsoleContext): Flash | undefined => {
  const message = c.req.query('done');
  return message ? { ok: true, text: message } : undefined;
};

/** Field messages from a service's validation error, keyed by the form's field names. */
export function fieldMessages(error: unknown, toField: (path: string) => string = (p) => p) {
  if (
    !(error instanceof AppError) ||
    (error.code !== 'validation_failed' && error.code !== 'conflict')
  )
    throw error;
  const errors: Record<string, string> = {};
  for (const field of error.errors ?? []) errors[toField(field.path)] ??= field.message;
  const status: 400 | 409 = error.code === 'conflict' ? 409 : 400;
  return { errors, summary: error.detail, status };
}

const failedRequest = (c: ConsoleContext) => ({
  requestId: c.var.requestId,
  method: c.req.method,
  path: c.req.path,
});

/**
 * A database failure the API answers as a problem (a value it cannot hold, a conflict), as that
 * AppError, logged as the API logs it, so a form can say it; anything else unchanged.
 */
export const knownFailure = (c: ConsoleContext, error: unknown): unknown =>
  !(error instanceof AppError) && asAppError(error)
    ? answerableError(c.var.deps.logger, error, failedRequest(c))
    : error;

/**
 * What the console answers when a page or form fails: a console page with the status the API
 * would answer with and its words, a way back, and the request id to quote; never the API's
 * problem JSON, which a browser shows as raw text.
 */
export function consoleErrorPage(error: Error, c: ConsoleContext) {
  const problem = answerableError(c.var.deps.logger, error, failedRequest(c));
  if (problem.retryAfterSeconds !== undefined) {
    c.header('Retry-After', String(problem.retryAfterSeconds));
  }
  const heading = problem.code === 'internal' ? 'Something went wrong' : problem.title;
  return c.html(
    <ConsoleLayout title={heading} session={c.var.session ?? null} path={c.req.path}>
      <h1>{heading}</h1>
      <p>{problem.detail}</p>
      {problem.errors?.length ? (
        <ul>
          {problem.errors.map((field) => (
            <li>
              <code>{field.path}</code>: {field.message}
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
      <p>
        <a href="/console">Back to the overview</a>
      </p>
      <p class="hint">Request id {c.var.requestId}: quote it when reporting a problem.</p>
    </ConsoleLayout>,
    problem.status,
  );
}

export type Period = { from?: string; to?: string };

const periodRefused = (detail: string, path: 'from' | 'to', message: string) =>
  new AppError('validation_failed', detail, [{ location: 'query', path, message }]);

/**
 * The `from` and `to` of a page's query, before the page reads anything: each a date the API
 * reads and `from` not after `to`, or a 400 naming the one that is not.
 */
export function requestedPeriod(c: ConsoleContext): Period {
  const period = { from: c.req.query('from') || undefined, to: c.req.query('to') || undefined };
  for (const name of ['from', 'to'] as const) {
    const value = period[name];
    if (value !== undefined && !dayInput().safeParse(value).success) {
      throw periodRefused(
        `\`${name}\` is not a date we can read: ${value} is not a day of the calendar ` +
          `(YYYY-MM-DD, years ${EARLIEST_YEAR} to ${LATEST_YEAR}).`,
        name,
        'a calendar day, YYYY-MM-DD',
      );
    }
  }
  if (period.from && period.to && period.from > period.to) {
    throw periodRefused('`from` must not be after `to`.', 'from', 'must not be after to');
  }
  return period;
}

type PeriodRefusal = AppError & { code: 'validation_failed' | 'range_too_large' };

const refusesPeriod = (error: unknown): error is PeriodRefusal =>
  error instanceof AppError &&
  (error.code === 'validation_failed' || error.code === 'range_too_large');

/**
 * `read` over the period in the page's query or, when the period or the service `read` calls
 * refuses it, the page to answer instead: a small page saying which parameter and why, with
 * the period form as it was filled in, under the status the API answers (400, or 422 for a
 * range too large). A page with more to read reads the rest after this (its period's weeks
 * first), in its turn among heavy reads (`inHeavyReadTurn`), so a refused period costs none of
 * it and waits for nothing.
 */
export async function forRequestedPeriod<T>(
  c: ConsoleContext,
  read: (period: Period) => T | Promise<T>,
): Promise<{ value: T } | { page: Response }> {
  try {
    return { value: await read(requestedPeriod(c)) };
  } catch (error) {
    if (!refusesPeriod(error)) throw error;
    return { page: await periodRefusedPage(c, error) };
  }
}

/** The answer to a refused period: what is wrong, and the form to put it right. */
function periodRefusedPage(c: ConsoleContext, error: PeriodRefusal) {
  const kept = Object.entries(c.req.query()).filter(
    ([name]) => name !== 'from' && name !== 'to' && name !== 'done',
  );
  return render(
    c,
    'Period not shown',
    <>
      <h1>Period not shown</h1>
      <p>{error.detail}</p>
      {error.errors?.length ? (
        <ul>
          {error.errors.map((field) => (
            <li>
              <code>{field.path}</code>: {field.message}
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
      <PeriodControl
        action={c.req.path}
        from={c.req.query('from') ?? ''}
        to={c.req.query('to') ?? ''}
      >
        {kept.map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <a href={c.req.path}>Back to the default weeks</a>
      </PeriodControl>
    </>,
    { status: ERROR_CODES[error.code] },
  );
}

/**
 * Reads what a page is about; when the service finds nothing (a mistyped or deleted id), the
 * reader gets a console page saying so, with a way back, instead of the API's problem JSON.
 */
export async function foundOr<T>(
  c: ConsoleContext,
  read: () => Promise<T>,
  back: { href: string; label: string },
): Promise<{ found: T } | { page: Response }> {
  try {
    return { found: await read() };
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
    return {
      page: await render(
        c,
        'Not found',
        <>
          <h1>Not found</h1>
          <p>{error.detail}</p>
          <p>
            <a href={back.href}>{back.label}</a>
          </p>
        </>,
        { status: 404 },
      ),
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an id in a console path can name a row at all (the database refuses any other). */
export const isUuid = (id: string) => UUID.test(id);

/** A campaign named in a console path: a mistyped id is simply not found. */
export const campaignById = (deps: Deps, id: string) =>
  isUuid(id) ? getCampaign(deps, id) : Promise.reject(notFound(`Campaign ${id}`));
