import type { Role } from '../../../db/schema';
import type { DeliveryView } from './deliveries.service';

/** The roles that may read recipients whole: those that may read accounts and suppressions. */
const SEE_RECIPIENTS: readonly Role[] = ['admin', 'ops'];

const MASK = '•••';

/** `j•••@example.com`: the local part's first character, a fixed mask, then the domain. */
export function maskedAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return MASK;
  const [first = ''] = Array.from(address.slice(0, at));
  return `${first}${MASK}${address.slice(at)}`;
}

/** A delivery with what names its recipient masked or left out. */
export type MaskedDeliveryView = Omit<
  DeliveryView,
  'account_id' | 'provider_id' | 'time_zone' | 'error'
>;

/**
 * A delivery as `role` may read it. Analysts read deliveries for their counts and states, not
 * to learn who the recipients are (accounts and suppressions are ops' to read): their address
 * is masked, and what names the recipient another way is left out: the account id, the
 * provider's message id (the provider's log shows the recipient for it), the provider's error
 * (a bounce message quotes the address) and the account's time zone.
 */
export function deliveryAsSeenBy(
  role: Role,
  delivery: DeliveryView,
): DeliveryView | MaskedDeliveryView {
  if (SEE_RECIPIENTS.includes(role)) return delivery;
  const { account_id, provider_id, time_zone, error, email, ...rest } = delivery;
  return { ...rest, email: maskedAddress(email) };
}
