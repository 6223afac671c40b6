import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { apiKeys, consoleSessions, type Role } from '../db/schema';
import type { Deps } from '../deps';
import type { ConsoleSession, Principal } from '../http/app-env';
import { base64url } from '../lib/base64url';
import { hashApiKey } from '../modules/auth/api-key-secret';

export const SESSION_COOKIE = 'forestall_console';
const SESSION_HOURS = 8;
/** Roles that may sign in: `app` keys belong in product backends, not in a browser. */
export const CONSOLE_ROLES: readonly Role[] = ['admin', 'ops', 'analyst'];

export type { ConsoleSession };

const randomToken = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

export async function openSession(deps: Deps, c: Context, principal: Principal): Promise<void> {
  const secret = randomToken();
  const now = deps.clock.now();
  await deps.db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now));
  await deps.db.insert(consoleSessions).values({
    secretHash: hashApiKey(secret),
    apiKeyId: principal.keyId,
    csrfToken: randomToken(),
    expiresAt: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
  });
  setCookie(c, SESSION_COOKIE, secret, {
    path: '/console',
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(deps, c),
    maxAge: SESSION_HOURS * 3600,
  });
}

/** The signed-in key, if the cookie names a live session whose key is not revoked. */
export async function readSession(deps: Deps, c: Context): Promise<ConsoleSession | null> {
  const secret = getCookie(c, SESSION_COOKIE);
  if (!secret) return null;
  const [row] = await deps.db
    .select({
      csrfToken: consoleSessions.csrfToken,
      keyId: apiKeys.id,
      name: apiKeys.name,
      role: apiKeys.role,
      prefix: apiKeys.prefix,
    })
    .from(consoleSessions)
    .innerJoin(apiKeys, eq(apiKeys.id, consoleSessions.apiKeyId))
    .where(
      and(
        eq(consoleSessions.secretHash, hashApiKey(secret)),
        gt(consoleSessions.expiresAt, deps.clock.now()),
        isNull(apiKeys.revokedAt),
      ),
    );
  if (!row) return null;
  const { csrfToken, ...principal } = row;
  return { principal, csrfToken };
}

export async function closeSession(deps: Deps, c: Context): Promise<void> {
  const secret = getCookie(c, SESSION_COOKIE);
  if (secret) {
    await deps.db.delete(consoleSessions).where(eq(consoleSessions.secretHash, hashApiKey(secret)));
  }
  deleteCookie(c, SESSION_COOKIE, { path: '/console' });
}

/** Every form carries the session's token; a cross-site post cannot know it. */
export function validCsrf(session: ConsoleSession, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length !== session.csrfToken.length) return false;
  let difference = 0;
  for (let i = 0; i < presented.length; i++) {
    difference |= presented.charCodeAt(i) ^ session.csrfToken.charCodeAt(i);
  }
  return difference === 0;
}

/** Whether the console is served over https, so its cookies are marked Secure. */
export const isHttps = (deps: Deps, c: Context) =>
  deps.config.publicUrl.startsWith('https:') || new URL(c.req.url).protocol === 'https:';
