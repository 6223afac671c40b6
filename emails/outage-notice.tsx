/** @jsxImportSource react */
import { CampaignEmail, type CampaignEmailProps, previewProps } from './_components/campaign-email';

/** The outage notice. */
export default function OutageEmail(props: CampaignEmailProps) {
  return <CampaignEmail kind="outage" {...props} />;
}

OutageEmail.PreviewProps = previewProps({
  title: 'API errors for some customers',
  bodyHtml: '<p>We are investigating elevated error rates on the API.</p>',
}) satisfies CampaignEmailProps;
