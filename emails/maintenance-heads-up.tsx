/** @jsxImportSource react */
import { CampaignEmail, type CampaignEmailProps, previewProps } from './_components/campaign-email';

/** The maintenance heads-up. */
export default function MaintenanceEmail(props: CampaignEmailProps) {
  return <CampaignEmail kind="maintenance" {...props} />;
}

MaintenanceEmail.PreviewProps = previewProps({
  eventTime: 'Sunday 6 December, 02:00–04:00 (Europe/Berlin)',
}) satisfies CampaignEmailProps;
