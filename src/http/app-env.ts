import type { Role } from '../db/schema';
import type { Deps } from '../deps';

/** Who is calling: resolved from the API key by the auth middleware. */
export type Principal = { keyId: string; name: string; role: Role; prefix: string };

/** A console sign-in: who, and the CSRF token its forms carry. */
export type ConsoleSession = { principal: Principal; csrfToken: string };

export type AppEnv = {
  Variables: {
    deps: Deps;
    requestId: string;
    principal: Principal;
    /** Set instead of `principal` when a browser token for one account is used. */
    accountToken?: { account: string; generation: number; expires: number };
    /** Set by the console's sign-in check on /console pages. */
    session: ConsoleSession;
  };
};
