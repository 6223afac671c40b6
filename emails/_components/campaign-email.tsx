/** @jsxImportSource react */
import {
  Body,
  Button,
  Container,
  Head,
  Heading,
  Hr,
  Html,
  Link,
  Preview,
  Section,
  Text,
} from '@react-email/components';
import { type EmailCopy, emailCopy } from './email-copy';

export type EmailKind = keyof EmailCopy['kicker'];

/**
 * What every template receives. Per-recipient values (name, email, account, unsubscribe link,
 * the event's time in the recipient's zone) arrive as `{{placeholders}}` when forestall renders
 * a campaign once for all its recipients, and as real values in the preview server.
 */
export type CampaignEmailProps = {
  locale: string;
  title: string;
  bodyHtml: string;
  cta: { label: string; url: string } | null;
  recipientName: string;
  recipientEmail: string;
  accountId: string;
  unsubscribeUrl: string;
  /** When the event the email is about happens, already formatted; omitted when there is none. */
  eventTime: string | null;
};

const ACCENT: Record<EmailKind, string> = {
  announcement: '#1d4ed8',
  outage: '#b91c1c',
  maintenance: '#6d28d9',
  billing: '#a16207',
};

export function CampaignEmail({ kind, ...props }: CampaignEmailProps & { kind: EmailKind }) {
  const copy = emailCopy(props.locale);
  const accent = ACCENT[kind];
  return (
    <Html lang={props.locale}>
      <Head />
      <Preview>{props.title}</Preview>
      <Body style={{ backgroundColor: '#f4f4f5', fontFamily: 'Helvetica, Arial, sans-serif' }}>
        <Container style={{ backgroundColor: '#ffffff', padding: '24px', maxWidth: '560px' }}>
          <Text style={{ color: accent, fontWeight: 700, textTransform: 'uppercase', margin: 0 }}>
            {copy.kicker[kind]}
          </Text>
          <Heading as="h1" style={{ fontSize: '22px', color: '#18181b' }}>
            {props.title}
          </Heading>
          <Text style={{ color: '#18181b' }}>{copy.greeting(props.recipientName)}</Text>
          {props.eventTime ? (
            <Text style={{ color: '#18181b', fontWeight: 700 }}>
              {`${copy.when}: ${props.eventTime}`}
            </Text>
          ) : null}
          <Section style={{ color: '#18181b', lineHeight: '1.5' }}>
            {/* biome-ignore lint/security/noDangerouslySetInnerHtml: campaign bodies are Markdown
                that forestall renders and sanitises (allow-list) before they get here */}
            <div dangerouslySetInnerHTML={{ __html: props.bodyHtml }} />
          </Section>
          {props.cta ? (
            <Button
              href={props.cta.url}
              style={{
                backgroundColor: accent,
                color: '#ffffff',
                padding: '12px 20px',
                borderRadius: '4px',
              }}
            >
              {props.cta.label}
            </Button>
          ) : null}
          <Hr style={{ margin: '24px 0' }} />
          <Text style={{ color: '#52525b', fontSize: '12px' }}>
            {copy.footer(props.recipientEmail, props.accountId)}{' '}
            <Link href={props.unsubscribeUrl} style={{ color: '#52525b' }}>
              {copy.unsubscribe}
            </Link>
          </Text>
        </Container>
      </Body>
    </Html>
  );
}

export const previewProps = (overrides: Partial<CampaignEmailProps>): CampaignEmailProps => ({
  locale: 'en',
  title: 'Scheduled maintenance on Sunday',
  bodyHtml: '<p>The API will be read-only for up to <strong>30 minutes</strong>.</p>',
  cta: { label: 'See the status page', url: 'https://status.example.com' },
  recipientName: 'Ada',
  recipientEmail: 'ada@example.com',
  accountId: 'acme',
  unsubscribeUrl: 'https://forestall.example.com/unsubscribe/preview',
  eventTime: null,
  ...overrides,
});
