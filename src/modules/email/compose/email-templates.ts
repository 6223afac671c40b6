import type { ComponentType } from 'react';
import type { CampaignEmailProps } from '../../../../emails/_components/campaign-email';
import AnnouncementEmail from '../../../../emails/announcement';
import BillingEmail from '../../../../emails/billing-reminder';
import MaintenanceEmail from '../../../../emails/maintenance-heads-up';
import OutageEmail from '../../../../emails/outage-notice';
import type { EmailTemplate } from '../../../db/schema';

export const EMAIL_TEMPLATE_COMPONENTS: Record<EmailTemplate, ComponentType<CampaignEmailProps>> = {
  announcement: AnnouncementEmail,
  outage: OutageEmail,
  maintenance: MaintenanceEmail,
  billing: BillingEmail,
};
