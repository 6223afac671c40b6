import type { Role } from '../../db/schema';
import type { Deps } from '../../deps';
import type { AccessGuard, Principal } from '../../http/app-env';
import { AppError } from '../../http/app-error';
import { andThen, type MaybePromise } from '../../lib/maybe-promise';
import { TOKEN_PREFIX, type TokenPayload, verifyAccountToken } from './account-token';
import { authenticateApiKey } from './api-keys.service';

/**
 * The app's access guard: `Authorization: Bearer <api key>` with one of the roles (admin passes
 * every check: it is the role that creates the others), or, where the route allows it, a
 * browser token minted for the account in the path (routes under /v1/accounts/{id}/…).
 */
export const guardAccess: AccessGuard = async (c, access) => {
  const authorization = c.req.header('authorization');
  if (!access.accountToken) {
    c.set('principal', await principalWithRole(c.var.deps, authorization, access.roles));
    return;
  }
  const caller = await accountCaller(
    c.var.deps,
    authorization,
    access.roles,
    c.req.param('id') ?? '',
  );
  if ('accountToken' in caller) c.set('accountToken', caller.accountToken);
  else c.set('principal', caller.principal);
};

/** The principal of the API key in `authorization`, which must have one of `roles`. */
export function principalWithRole(
  deps: Deps,
  authorization: string | undefined,
  roles: readonly Role[],
): MaybePromise<Principal> {
  return keyWithRole(deps, bearerToken(authorization), roles);
}

function keyWithRole(
  deps: Deps,
  key: string | undefined,
  roles: readonly Role[],
): MaybePromise<Principal> {
  if (!key) throw new AppError('unauthorized', 'Send an API key as `Authorization: Bearer <key>`.');
  return andThen(authenticateApiKey(deps, key), (principal) => {
    if (!principal) throw new AppError('unauthorized', 'The API key is unknown or revoked.');
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new AppError(
        'forbidden',
        `This operation needs the ${roles.join(' or ')} role; the key has the ${principal.role} role.`,
      );
    }
    return principal;
  });
}

type AccountCaller = { principal: Principal } | { accountToken: TokenPayload };

/** Who asks about account `accountId`: an API key with one of `roles`, or its browser token. */
export function accountCaller(
  deps: Deps,
  authorization: string | undefined,
  roles: readonly Role[],
  accountId: string,
): MaybePromise<AccountCaller> {
  const token = bearerToken(authorization);
  if (!token?.startsWith(TOKEN_PREFIX)) {
    return andThen(keyWithRole(deps, token, roles), (principal) => ({ principal }));
  }
  return verifyAccountToken(deps, token).then((payload) => {
    if (!payload) throw new AppError('unauthorized', 'The token is invalid or has expired.');
    if (payload.account !== accountId) {
      throw new AppError('forbidden', 'The token was minted for another account.');
    }
    return { accountToken: payload };
  });
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
