import type { Deps } from '../../deps';
import { base64url, fromBase64url } from '../../lib/base64url';
import { hasValidSignature, type SecretSource, signBody } from '../auth/workspace-signature';

/**
 * The token in an email's unsubscribe link: the address and the campaign that sent it, signed.
 * It does not expire (old emails must keep working) and is the same for every send of a
 * campaign to an address, so a retried send renders byte for byte the same message.
 */

type UnsubscribePayload = { email: string; campaign: string };

const SECRET: SecretSource = { setting: 'unsubscribe_secret', configured: undefined };

export async function unsubscribeToken(deps: Deps, payload: UnsubscribePayload): Promise<string> {
  const body = base64url(
    new TextEncoder().encode(JSON.stringify([payload.email, payload.campaign])),
  );
  return `${body}.${await signBody(deps.db, SECRET, body)}`;
}

export async function readUnsubscribeToken(
  deps: Deps,
  token: string,
): Promise<UnsubscribePayload | undefined> {
  const [body, signature, ...rest] = token.split('.');
  if (!body || !signature || rest.length > 0) return undefined;
  if (!(await hasValidSignature(deps.db, SECRET, body, signature))) return undefined;
  try {
    const [email, campaign] = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
    if (typeof email !== 'string' || typeof campaign !== 'string') return undefined;
    return { email, campaign };
  } catch {
    return undefined;
  }
}

export const unsubscribeUrl = (deps: Deps, token: string) =>
  `${deps.config.publicUrl}/unsubscribe/${token}`;
