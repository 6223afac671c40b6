import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sql } from 'drizzle-orm';
import { base64url, fromBase64url } from '../../base64url';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';
import type { Deps } from '../../deps';

/**
 * Short-lived, per-account bearer tokens for the browser: `fnt_<payload>.<signature>`, the
 * payload naming the account, the account's creation time (so a deleted and re-created
 * account does not honour old tokens) and an expiry; HMAC-SHA256 with a workspace secret.
 */

export const TOKEN_PREFIX = 'fnt_';
const SECRET_SETTING = 'notice_token_secret';

type TokenPayload = { account: string; generation: number; expires: number };

const secrets = new WeakMap<Db, Promise<Uint8Array>>();

/** NOTICE_TOKEN_SECRET, or one generated once and shared by every instance through the database. */
function secretFor(deps: Deps): Promise<Uint8Array> {
  if (deps.config.noticeTokens.secret) {
    return Promise.resolve(new TextEncoder().encode(deps.config.noticeTokens.secret));
  }
  let secret = secrets.get(deps.db);
  if (!secret) {
    secret = loadOrCreateSecret(deps.db);
    secret.catch(() => secrets.delete(deps.db));
    secrets.set(deps.db, secret);
  }
  return secret;
}

async function loadOrCreateSecret(db: Db): Promise<Uint8Array> {
  const candidate = base64url(crypto.getRandomValues(new Uint8Array(32)));
  await db.execute(sql`
    insert into workspace_settings (key, value) values (${SECRET_SETTING}, ${candidate})
    on conflict (key) do nothing`);
  const [row] = rowsOf<{ value: string }>(
    await db.execute(sql`select value from workspace_settings where key = ${SECRET_SETTING}`),
  );
  if (!row) throw new Error('the notice token secret could not be stored');
  return new TextEncoder().encode(row.value);
}

export async function mintAccountToken(
  deps: Deps,
  account: { id: string; createdAt: Date },
): Promise<{ token: string; expires_at: string }> {
  const expires =
    Math.floor(deps.clock.now().getTime() / 1000) + deps.config.noticeTokens.ttlSeconds;
  const payload: TokenPayload = {
    account: account.id,
    generation: account.createdAt.getTime(),
    expires,
  };
  const body = base64url(new TextEncoder().encode(JSON.stringify(payload)));
  const signature = base64url(hmac(sha256, await secretFor(deps), new TextEncoder().encode(body)));
  return {
    token: `${TOKEN_PREFIX}${body}.${signature}`,
    expires_at: new Date(expires * 1000).toISOString(),
  };
}

/** The payload of a well-signed, unexpired token; undefined for anything else. */
export async function verifyAccountToken(
  deps: Deps,
  token: string,
): Promise<TokenPayload | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const [body, signature, ...rest] = token.slice(TOKEN_PREFIX.length).split('.');
  if (!body || !signature || rest.length > 0) return undefined;
  const expected = base64url(hmac(sha256, await secretFor(deps), new TextEncoder().encode(body)));
  if (!constantTimeEqual(expected, signature)) return undefined;
  let payload: TokenPayload;
  try {
    payload = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
  } catch {
    return undefined;
  }
  if (typeof payload.account !== 'string' || typeof payload.expires !== 'number') return undefined;
  if (payload.expires * 1000 <= deps.clock.now().getTime()) return undefined;
  return payload;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
