import type { Context } from 'hono';
import type { Role } from '../db/schema';
import type { Deps } from '../deps';
import type { IfMatch } from './etag';
import type { Principal } from './principal';

export type { Principal };

/** A console sign-in: who, and the CSRF token its forms carry. */
export type ConsoleSession = { principal: Principal; csrfToken: string };

/**
 * Who may call a route: an API key with one of `roles` (admin passes every check), or, with
 * `accountToken`, a browser token minted for the account in the path.
 */
export type RoleAccess = { roles: readonly Role[]; accountToken?: true };

/**
 * Checks `access` for one request and records the caller (`principal` or `accountToken`), or
 * throws the AppError that refuses it. Auth provides it and the app hands it to every request,
 * so the route kit names who may call without knowing how keys are checked.
 */
export type AccessGuard = (c: Context<AppEnv>, access: RoleAccess) => Promise<void>;

/**
 * Signs what a list hands out as `next_cursor` and checks a cursor handed back, so one the API
 * did not issue is refused. Auth provides it (a workspace secret), as it provides `guard`.
 */
export type CursorSeal = {
  sign(deps: Deps, body: string): Promise<string>;
  verify(deps: Deps, body: string, signature: string): Promise<boolean>;
};

export type AppEnv = {
  Variables: {
    deps: Deps;
    guard: AccessGuard;
    cursorSeal: CursorSeal;
    requestId: string;
    principal: Principal;
    /** Set instead of `principal` when a browser token for one account is used. */
    accountToken?: { account: string; generation: number; expires: number };
    /** Set by the console's sign-in check on /console pages. */
    session: ConsoleSession;
    /** A route that honours `If-Match` (`conditional`): what it asks for, when sent. */
    ifMatch?: IfMatch;
    /** What the route's handler answered, kept even when the deadline answered first. */
    handlerAnswer?: Response;
  };
};
