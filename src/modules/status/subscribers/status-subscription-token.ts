import type { Deps } from '../../../deps';
import { readSignedStrings, signStrings } from '../../auth/signed-token';
import type { SecretSource } from '../../auth/workspace-signature';

/**
 * The credential in a status email's links: the address and what the link does, signed. It
 * does not expire (an old update's unsubscribe link must keep working).
 */
export type SubscriptionAction = 'confirm' | 'unsubscribe';

const SECRET: SecretSource = { setting: 'status_subscription_secret', configured: undefined };

export const subscriptionToken = (deps: Deps, email: string, action: SubscriptionAction) =>
  signStrings(deps.db, SECRET, [email, action]);

export async function readSubscriptionToken(
  deps: Deps,
  token: string,
  action: SubscriptionAction,
): Promise<string | undefined> {
  const [email, signedAction] = (await readSignedStrings(deps.db, SECRET, token, 2)) ?? [];
  return signedAction === action ? email : undefined;
}

export const subscriptionUrl = (deps: Deps, token: string, action: SubscriptionAction) =>
  `${deps.config.publicUrl}/status/subscriptions/${action}/${token}`;
