import { and, asc, eq } from 'drizzle-orm';
import {
  accountContacts,
  accounts,
  campaigns,
  type DeliveryStatus,
  emailDeliveries,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError, notFound } from '../../../http/app-error';
import { addressAsGiven, emailKey } from '../../../lib/email-key';
import { type Audience, compileAudience } from '../../campaigns/audience';
import { isHeldOut } from '../../campaigns/holdout';
import { composeEmail, type EmailCampaign } from '../compose/compose-email';
import { isSuppressed } from '../recipients/suppressions.service';
import { nextOccurrence, untimedEmail } from './delivery-plan.service';
import { recipientSendTime, referenceSendTime } from './send-time';

export type EmailPreview = {
  account_id: string;
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  scheduled_for: string;
  delivery_status: DeliveryStatus | null;
  /** Why this recipient gets nothing, when they do not. */
  skipped: 'not_in_audience' | 'held_out' | 'suppressed' | null;
};

/**
 * The message an account's contact gets from an email campaign, composed exactly as the
 * sender composes it: from the planned delivery when there is one, else as planning would.
 */
export async function previewCampaignEmail(
  deps: Deps,
  campaignId: string,
  accountId: string,
  email: string | undefined,
): Promise<EmailPreview> {
  const now = deps.clock.now();
  const [campaign] = await deps.db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  if (!campaign) throw notFound(`Campaign ${campaignId}`);
  if (!campaign.email || !campaign.channels.includes('email')) {
    throw new AppError('conflict', 'The campaign does not send email; add the email channel.');
  }
  const [account] = await deps.db.select().from(accounts).where(eq(accounts.id, accountId));
  if (!account) throw notFound(`Account ${accountId}`);
  const contacts = await deps.db
    .select()
    .from(accountContacts)
    .where(eq(accountContacts.accountId, accountId))
    .orderBy(asc(accountContacts.email));
  const contact = email ? contacts.find((c) => c.email === emailKey(email)) : contacts[0];
  if (!contact) {
    throw notFound(
      email
        ? `Contact ${email} of account ${accountId}`
        : `An email contact of account ${accountId}`,
    );
  }
  const [delivery] = await deps.db
    .select()
    .from(emailDeliveries)
    .where(
      and(eq(emailDeliveries.campaignId, campaignId), eq(emailDeliveries.email, contact.email)),
    );
  const settings = campaign.email;
  const timeZone = delivery?.timeZone ?? account.timeZone ?? deps.config.workspaceTimeZone;
  const eventAt = delivery
    ? delivery.eventAt
    : await nextOccurrence(deps.db, campaign, now, deps.config.workspaceTimeZone);
  if (!delivery && !eventAt && settings.before_event) throw untimedEmail();
  const scheduledFor =
    delivery?.scheduledFor ??
    recipientSendTime(
      settings,
      referenceSendTime(settings, campaign.startsAt ?? now, eventAt),
      timeZone,
      now,
    );
  const message = await composeEmail(deps, campaign as EmailCampaign, {
    id: delivery?.id ?? 'preview',
    accountId,
    email: addressAsGiven(delivery ?? contact),
    name: delivery?.name ?? contact.name,
    locale: delivery?.locale ?? contact.locale ?? account.locale,
    timeZone,
    eventAt,
    plan: account.plan,
  });
  const inAudience = compileAudience(campaign.audience as Audience)({
    ...account,
    time_zone: account.timeZone,
  });
  return {
    account_id: accountId,
    to: message.to,
    from: message.from,
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: message.headers,
    scheduled_for: scheduledFor.toISOString(),
    delivery_status: delivery?.status ?? null,
    skipped: !inAudience
      ? 'not_in_audience'
      : isHeldOut(campaign.id, accountId, campaign.holdoutPercent)
        ? 'held_out'
        : (await isSuppressed(deps, contact.email))
          ? 'suppressed'
          : null,
  };
}
