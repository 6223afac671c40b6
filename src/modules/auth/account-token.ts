import type { Deps } from '../../deps';
import { base64url, fromBase64url } from '../../lib/base64url';
import {
  hasValidSignature,
  hasValidSignatureInMemory,
  type SecretSource,
  signBody,
} from './workspace-signature';

/**
 * Short-lived, per-account bearer tokens for the browser: `fnt_<payload>.<signature>`, the
 * payload naming the account, the account's creation time (so a deleted and re-created
 * account does not honour old tokens) and an expiry; HMAC-SHA256 with a workspace secret.
 */

export const TOKEN_PREFIX = 'fnt_';

export type TokenPayload = { account: string; generation: number; expires: number };

const tokenSecret = (deps: Deps): SecretSource => ({
  setting: 'notice_token_secret',
  configured: deps.config.noticeTokens.secret,
});

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
  const signature = await signBody(deps.db, tokenSecret(deps), body);
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
  const known = verifiedBefore(deps, token);
  if (known !== undefined) return known ?? undefined;
  const parts = tokenParts(token);
  if (!parts) return undefined;
  const signed = await hasValidSignature(deps.db, tokenSecret(deps), parts.body, parts.signature);
  return signed ? remembered(deps, token, validPayload(deps, parts.body)) : undefined;
}

/**
 * `verifyAccountToken` without waiting, once this instance has read the token secret: the
 * payload of a good token, null for a bad one, undefined when the secret is still to be read.
 */
export function verifyAccountTokenInMemory(
  deps: Deps,
  token: string,
): TokenPayload | null | undefined {
  const known = verifiedBefore(deps, token);
  if (known !== undefined) return known;
  const parts = tokenParts(token);
  if (!parts) return null;
  const source = tokenSecret(deps);
  const signed = hasValidSignatureInMemory(deps.db, source, parts.body, parts.signature);
  if (signed === undefined) return undefined;
  return (signed && remembered(deps, token, validPayload(deps, parts.body))) || null;
}

/**
 * Good tokens this instance has verified, by the token itself: a browser polls with the same
 * token until it expires, and its HMAC in JavaScript cost more than the rest of the answer
 * (test/bench/README.md). Only well-signed tokens get in, oldest out first past the bound.
 */
const verifiedTokens = new WeakMap<Deps, Map<string, TokenPayload>>();
const VERIFIED_TOKENS_MAX = 100_000;

/** The payload of a token verified before; null once it has expired; undefined if unknown. */
function verifiedBefore(deps: Deps, token: string): TokenPayload | null | undefined {
  const tokens = verifiedTokens.get(deps);
  const payload = tokens?.get(token);
  if (!payload) return undefined;
  if (!expired(deps, payload)) return payload;
  tokens?.delete(token);
  return null;
}

function remembered(
  deps: Deps,
  token: string,
  payload: TokenPayload | undefined,
): TokenPayload | undefined {
  if (!payload) return undefined;
  let tokens = verifiedTokens.get(deps);
  if (!tokens) {
    tokens = new Map();
    verifiedTokens.set(deps, tokens);
  }
  const oldest = tokens.size >= VERIFIED_TOKENS_MAX ? tokens.keys().next() : undefined;
  if (oldest && !oldest.done) tokens.delete(oldest.value);
  tokens.set(token, payload);
  return payload;
}

function tokenParts(token: string): { body: string; signature: string } | undefined {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const [body, signature, ...rest] = token.slice(TOKEN_PREFIX.length).split('.');
  if (!body || !signature || rest.length > 0) return undefined;
  return { body, signature };
}

function validPayload(deps: Deps, body: string): TokenPayload | undefined {
  let payload: TokenPayload;
  try {
    payload = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
  } catch {
    return undefined;
  }
  if (typeof payload.account !== 'string' || typeof payload.expires !== 'number') return undefined;
  return expired(deps, payload) ? undefined : payload;
}

const expired = (deps: Deps, payload: TokenPayload) =>
  payload.expires * 1000 <= deps.clock.now().getTime();
