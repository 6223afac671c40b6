import type { MiddlewareHandler } from 'hono';
import type { Role } from '../../db/schema';
import type { AppEnv } from '../../http/app-env';
import { AppError } from '../../http/app-error';
import { TOKEN_PREFIX, verifyAccountToken } from '../notices/account-token';
import { authenticateApiKey } from './api-keys.service';

/**
 * Requires `Authorization: Bearer <api key>` with one of `roles`. Admin passes every check:
 * it is the role that creates the others.
 */
export function requireRole(roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearerToken(c.req.header('authorization'));
    if (!key) {
      throw new AppError('unauthorized', 'Send an API key as `Authorization: Bearer <key>`.');
    }
    const principal = await authenticateApiKey(c.var.deps, key);
    if (!principal) throw new AppError('unauthorized', 'The API key is unknown or revoked.');
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new AppError(
        'forbidden',
        `This operation needs the ${roles.join(' or ')} role; the key has the ${principal.role} role.`,
      );
    }
    c.set('principal', principal);
    await next();
  };
}

/**
 * For routes under /v1/accounts/{id}/…: an API key with one of `roles`, or a browser token
 * minted for that very account.
 */
export function requireRoleOrAccountToken(roles: readonly Role[]): MiddlewareHandler<AppEnv> {
  const byRole = requireRole(roles);
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token?.startsWith(TOKEN_PREFIX)) return byRole(c, next);
    const payload = await verifyAccountToken(c.var.deps, token);
    if (!payload) throw new AppError('unauthorized', 'The token is invalid or has expired.');
    if (payload.account !== c.req.param('id')) {
      throw new AppError('forbidden', 'The token was minted for another account.');
    }
    c.set('accountToken', payload);
    await next();
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
