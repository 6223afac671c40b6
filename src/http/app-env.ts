import type { Role } from '../db/schema';
import type { Deps } from '../deps';

/** Who is calling: resolved from the API key by the auth middleware. */
export type Principal = { keyId: string; name: string; role: Role; prefix: string };

export type AppEnv = {
  Variables: {
    deps: Deps;
    requestId: string;
    principal: Principal;
    /** Set instead of `principal` when a browser token for one account is used. */
    accountToken?: { account: string; generation: number; expires: number };
  };
};
