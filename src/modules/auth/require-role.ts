import type { MiddlewareHandler } from 'hono';
import type { Role } from '../../db/schema';
import type { AppEnv } from '../../http/app-env';
import { AppError } from '../../http/app-error';
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

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
