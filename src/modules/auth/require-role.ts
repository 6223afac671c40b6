import type { Role } from '../../db/schema';
import type { Deps } from '../../deps';
import type { AccessGuard, Principal } from '../../http/app-env';
import { AppError } from '../../http/app-error';
import {
  TOKEN_PREFIX,
  type TokenPayload,
  verifyAccountToken,
  verifyAccountTokenInMemory,
} from './account-token';
import { authenticateApiKey, principalInMemory } from './api-keys.service';

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
export async function principalWithRole(
  deps: Deps,
  authorization: string | undefined,
  roles: readonly Role[],
): Promise<Principal> {
  return keyWithRole(deps, bearerToken(authorization), roles);
}

async function keyWithRole(
  deps: Deps,
  key: string | undefined,
  roles: readonly Role[],
): Promise<Principal> {
  if (!key) throw new AppError('unauthorized', 'Send an API key as `Authorization: Bearer <key>`.');
  const principal = await authenticateApiKey(deps, key);
  if (!principal) throw new AppError('unauthorized', 'The API key is unknown or revoked.');
  if (!hasRole(principal, roles)) {
    throw new AppError(
      'forbidden',
      `This operation needs the ${roles.join(' or ')} role; ` +
        `the key has the ${principal.role} role.`,
    );
  }
  return principal;
}

const hasRole = (principal: Principal, roles: readonly Role[]) =>
  principal.role === 'admin' || roles.includes(principal.role);

export type AccountCaller = { principal: Principal } | { accountToken: TokenPayload };

/** Who asks about account `accountId`: an API key with one of `roles`, or its browser token. */
export async function accountCaller(
  deps: Deps,
  authorization: string | undefined,
  roles: readonly Role[],
  accountId: string,
): Promise<AccountCaller> {
  const token = bearerToken(authorization);
  if (!token?.startsWith(TOKEN_PREFIX)) return { principal: await keyWithRole(deps, token, roles) };
  const payload = await verifyAccountToken(deps, token);
  if (!payload) throw new AppError('unauthorized', 'The token is invalid or has expired.');
  return { accountToken: tokenForAccount(payload, accountId) };
}

/**
 * `accountCaller` from memory alone, for callers that answer without waiting when they can:
 * the caller when a key checked moments ago or a good token vouches for it; undefined when
 * `accountCaller` must be asked (which also gives every refusal).
 */
export function accountCallerInMemory(
  deps: Deps,
  authorization: string | undefined,
  roles: readonly Role[],
  accountId: string,
): AccountCaller | undefined {
  const token = authorization && BEARER.exec(authorization)?.[1];
  if (!token) return undefined;
  if (token.startsWith(TOKEN_PREFIX)) {
    const payload = verifyAccountTokenInMemory(deps, token);
    return payload?.account === accountId ? { accountToken: payload } : undefined;
  }
  const principal = principalInMemory(deps, token);
  return principal && hasRole(principal, roles) ? { principal } : undefined;
}

function tokenForAccount(payload: TokenPayload, accountId: string): TokenPayload {
  if (payload.account !== accountId) {
    throw new AppError('forbidden', 'The token was minted for another account.');
  }
  return payload;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The key or token of an `Authorization: Bearer` header; undefined without one. Any other
 * value is refused as a credential (401), never read as "no key": two Authorization headers
 * arrive joined (`Bearer a, Bearer b`, as fetch's Headers join them) and are refused so too.
 */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const token = BEARER.exec(header)?.[1];
  if (!token) {
    throw new AppError(
      'unauthorized',
      'Send one Authorization header with one key: `Authorization: Bearer <key>`.',
    );
  }
  return token;
}
