import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { unsafeTextProblem } from '../http/safe-text';
import { base64url } from '../lib/base64url';
import { LINE_BREAK_RANGE } from '../lib/display-line';
import { authenticateApiKey } from '../modules/auth/api-keys.service';
import { PostForm, TextField } from '../view-kit/fields';
import { emptyForm, type FormState, formValues } from '../view-kit/form-state';
import { createConsoleRouter, formBody, postedForm, signedIn } from './console-router';
import { CONSOLE_ROLES, closeSession, isHttps, openSession } from './console-session';
import { ConsoleLayout } from './layout';

/** The sign-in form is protected by a double-submit token: no session exists yet to hold one. */
const SIGN_IN_COOKIE = 'forestall_sign_in';

const SignInPage = (props: { state: FormState; token: string; next: string }) => (
  <ConsoleLayout title="Sign in" session={null} path="/console/sign-in">
    <h1>Sign in to the forestall console</h1>
    <p>
      Use an API key with the <b>ops</b> role (publish banners, incidents, emails), the{' '}
      <b>analyst</b> role (reports) or <b>admin</b>. The key stays on the server: the browser only
      gets a session cookie.
    </p>
    <PostForm action="/console/sign-in" csrf={props.token} class="narrow">
      <input type="hidden" name="next" value={props.next} />
      <TextField
        state={props.state}
        name="api_key"
        label="API key"
        type="password"
        required
        placeholder="fst_…"
      />
      <button type="submit">Sign in</button>
    </PostForm>
  </ConsoleLayout>
);

// A Location header cannot carry a control character (CR, LF and NUL make Headers throw, after
// the session was stored) nor `encodeURI` an unpaired surrogate: such a next= is not followed.
const UNSAFE_IN_LOCATION = new RegExp(`[${LINE_BREAK_RANGE}]`);

/** Where a sign-in goes on to: a console page named by `next=`, else the overview. */
const safeNext = (next: string | undefined) =>
  next?.startsWith('/console') &&
  !UNSAFE_IN_LOCATION.test(next) &&
  unsafeTextProblem(next) === undefined
    ? next
    : '/console';

export const signInRoutes = createConsoleRouter();

signInRoutes.get('/console/sign-in', async (c) => {
  const token = base64url(crypto.getRandomValues(new Uint8Array(24)));
  setCookie(c, SIGN_IN_COOKIE, token, {
    path: '/console',
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c.var.deps, c),
  });
  return c.html(
    <SignInPage state={emptyForm()} token={token} next={safeNext(c.req.query('next'))} />,
  );
});

signInRoutes.post('/console/sign-in', async (c) => {
  const values = formValues(await formBody(c));
  const token = getCookie(c, SIGN_IN_COOKIE);
  const next = safeNext(values.next);
  const again = async (message: string, status: 400 | 401 | 403) =>
    c.html(
      <SignInPage
        state={{ values: {}, errors: { api_key: message } }}
        token={token ?? ''}
        next={next}
      />,
      status,
    );
  if (!token || values._csrf !== token) return again('The form expired; sign in again.', 400);
  const key = values.api_key?.trim() ?? '';
  if (!key) return again('Enter your API key.', 400);
  const principal = await authenticateApiKey(c.var.deps, key);
  if (!principal) return again('This key is unknown or revoked.', 401);
  if (!CONSOLE_ROLES.includes(principal.role)) {
    const role = principal.role;
    return again(
      `A key with the ${role} role cannot sign in to the console; ` +
        'use an ops, analyst or admin key.',
      403,
    );
  }
  await openSession(c.var.deps, c, principal);
  // The token has done its one job; the session's own token protects the forms from here.
  deleteCookie(c, SIGN_IN_COOKIE, { path: '/console', secure: isHttps(c.var.deps, c) });
  return c.redirect(next, 303);
});

signInRoutes.post('/console/sign-out', signedIn(CONSOLE_ROLES), async (c) => {
  await postedForm(c);
  await closeSession(c.var.deps, c);
  return c.redirect('/console/sign-in', 303);
});
