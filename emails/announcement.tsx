/** @jsxImportSource react */
import { CampaignEmail, type CampaignEmailProps, previewProps } from './_components/campaign-email';

/** The general announcement. */
export default function AnnouncementEmail(props: CampaignEmailProps) {
  return <CampaignEmail kind="announcement" {...props} />;
}

AnnouncementEmail.PreviewProps = previewProps({}) satisfies CampaignEmailProps;
