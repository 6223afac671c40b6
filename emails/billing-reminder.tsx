/** @jsxImportSource react */
import { CampaignEmail, type CampaignEmailProps, previewProps } from './_components/campaign-email';

/** The billing or price change reminder. */
export default function BillingEmail(props: CampaignEmailProps) {
  return <CampaignEmail kind="billing" {...props} />;
}

BillingEmail.PreviewProps = previewProps({
  title: 'Your plan price changes on 1 January',
  bodyHtml: '<p>From 1 January the Pro plan costs 49.00 a month.</p>',
  eventTime: 'Friday 1 January 2027',
}) satisfies CampaignEmailProps;
