import type { Deps } from '../../../deps';
import { readSignedStrings, signStrings } from '../../auth/signed-token';
import type { SecretSource } from '../../auth/workspace-signature';

/**
 * The credentials in a status email's links, signed. An unsubscribe link carries the address
 * and does not expire (an old update's link must keep working); a confirmation link also
 * carries the id of the subscription row it was sent for, so it confirms that request only,
 * never one made after the address unsubscribed or was forgotten.
 */
export type SubscriptionAction = 'confirm' | 'unsubscribe';

export type ConfirmLink = { email: string; subscriberId: string };

const SECRET: SecretSource = { setting: 'status_subscription_secret', configured: undefined };

export const confirmToken = (deps: Deps, link: ConfirmLink) =>
  signStrings(deps.db, SECRET, [link.email, 'confirm', link.subscriberId]);

export const unsubscribeToken = (deps: Deps, email: string) =>
  signStrings(deps.db, SECRET, [email, 'unsubscribe']);

export async function readConfirmToken(
  deps: Deps,
  token: string,
): Promise<ConfirmLink | undefined> {
  const [email, action, subscriberId] = (await readSignedStrings(deps.db, SECRET, token, 3)) ?? [];
  return email && action === 'confirm' && subscriberId ? { email, subscriberId } : undefined;
}

export async function readUnsubscribeToken(deps: Deps, token: string): Promise<string | undefined> {
  const [email, action] = (await readSignedStrings(deps.db, SECRET, token, 2)) ?? [];
  return action === 'unsubscribe' ? email : undefined;
}

export const subscriptionUrl = (deps: Deps, token: string, action: SubscriptionAction) =>
  `${deps.config.publicUrl}/status/subscriptions/${action}/${token}`;
