import { type Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { Role } from '../db/schema';
import type { Deps } from '../deps';
import type { AppEnv } from '../http/app-env';
import { AppError, notFound } from '../http/app-error';
import { dayInput } from '../http/time-input';
import { getCampaign } from '../modules/campaigns/campaigns.service';
import type { Flash } from '../view-kit/components';
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
    if (!session) return c.redirect(`/console/sign-in?next=${encodeURIComponent(c.req.path)}`, 303);
    c.set('session', session);
    c.set('principal', session.principal);
    if (!mayUse(session.principal.role, roles)) {
      return c.html(
        <ConsoleLayout title="Not allowed" session={session} path={c.req.path}>
          <h1>Not allowed</h1>
          <p>
            This page needs the {roles.join(' or ')} role; you signed in with a{' '}
            {session.principal.role} key.
          </p>
        </ConsoleLayout>,
        403,
      );
    }
    await next();
  };
}

/** A form post's fields, after its CSRF token has been checked (403 without a valid one). */
export async function postedForm(c: ConsoleContext): Promise<Record<string, string>> {
  const values = formValues(await c.req.parseBody({ all: true }));
  if (!validCsrf(c.var.session, values._csrf)) {
    throw new AppError(
      'forbidden',
      'The form is stale or came from another site; reload the page and try again.',
    );
  }
  return values;
}

export type RenderOptions = { status?: 200 | 400 | 404 | 409; flash?: Flash };

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

export type Period = { from?: string; to?: string };

/**
 * Reads a page's data for the period in its query; when the API refuses that period, reads the
 * default one instead and keeps the API's reason to show, so a bad date never costs the page.
 */
export async function forRequestedPeriod<T>(
  c: ConsoleContext,
  read: (period: Period) => Promise<T>,
): Promise<{ value: T; problem?: string }> {
  const period = { from: c.req.query('from') || undefined, to: c.req.query('to') || undefined };
  // Dates are held to what the API takes: an unparseable or far-off one is a message, not a 500.
  for (const [name, value] of Object.entries(period)) {
    const checked = value === undefined ? undefined : dayInput().safeParse(value);
    if (checked && !checked.success) {
      const reason = checked.error.issues[0]?.message ?? 'not a date';
      return {
        value: await read({}),
        problem: `\`${name}\` is not a date we can read: ${reason}.`,
      };
    }
  }
  try {
    return { value: await read(period) };
  } catch (error) {
    const aboutThePeriod =
      error instanceof AppError &&
      (error.code === 'validation_failed' || error.code === 'range_too_large');
    if (!aboutThePeriod) throw error;
    return { value: await read({}), problem: error.detail };
  }
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

/** A campaign named in a console path: a mistyped id is simply not found. */
export const campaignById = (deps: Deps, id: string) =>
  UUID.test(id) ? getCampaign(deps, id) : Promise.reject(notFound(`Campaign ${id}`));
