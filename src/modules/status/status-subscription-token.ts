import type { Deps } from '../../deps';
import { base64url, fromBase64url } from '../../lib/base64url';
import { hasValidSignature, type SecretSource, signBody } from '../auth/workspace-signature';

/**
 * The credential in a status email's links: the address and what the link does, signed. It
 * does not expire (an old update's unsubscribe link must keep working) and is the same for
 * every email to an address, so a retried batch renders byte for byte the same.
 */
export type SubscriptionAction = 'confirm' | 'unsubscribe';

const SECRET: SecretSource = { setting: 'status_subscription_secret', configured: undefined };

export async function subscriptionToken(
  deps: Deps,
  email: string,
  action: SubscriptionAction,
): Promise<string> {
  const body = base64url(new TextEncoder().encode(JSON.stringify([email, action])));
  return `${body}.${await signBody(deps.db, SECRET, body)}`;
}

export async function readSubscriptionToken(
  deps: Deps,
  token: string,
  action: SubscriptionAction,
): Promise<string | undefined> {
  const [body, signature, ...rest] = token.split('.');
  if (!body || !signature || rest.length > 0) return undefined;
  if (!(await hasValidSignature(deps.db, SECRET, body, signature))) return undefined;
  try {
    const [email, signedAction] = JSON.parse(new TextDecoder().decode(fromBase64url(body)));
    return typeof email === 'string' && signedAction === action ? email : undefined;
  } catch {
    return undefined;
  }
}

export const subscriptionUrl = (deps: Deps, token: string, action: SubscriptionAction) =>
  `${deps.config.publicUrl}/status/subscriptions/${action}/${token}`;
