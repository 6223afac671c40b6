import {
  Body,
  Button,
  Container,
  Head,
  Heading,
  Hr,
  Html,
  Preview,
  Section,
  Text,
} from '@react-email/components';

/** The weekly digest of the prevented-contacts report, for leaders; figures come formatted. */
export type ReportDigestProps = {
  period: string;
  prevented: string;
  preventedInterval: string;
  savings: string;
  deflectionRate: string;
  contacts: string;
  recontactRate: string;
  resolutionRate: string;
  campaigns: { title: string; prevented: string; method: string }[];
  reportUrl: string;
};

const cell = { padding: '4px 8px', borderBottom: '1px solid #e4e4e7', fontSize: '14px' };

export default function ReportDigestEmail(props: ReportDigestProps) {
  const figures: [string, string][] = [
    ['Contacts prevented', `${props.prevented} (95%: ${props.preventedInterval})`],
    ['Saved', props.savings],
    ['Deflection rate', props.deflectionRate],
    ['Contacts', props.contacts],
    ['Re-contacts within 48 h', props.recontactRate],
    ['Resolved', props.resolutionRate],
  ];
  return (
    <Html lang="en">
      <Head />
      <Preview>{`${props.prevented} contacts prevented, ${props.savings} saved (${props.period})`}</Preview>
      <Body style={{ backgroundColor: '#f4f4f5', fontFamily: 'Helvetica, Arial, sans-serif' }}>
        <Container style={{ backgroundColor: '#ffffff', padding: '24px', maxWidth: '600px' }}>
          <Heading as="h1" style={{ fontSize: '20px' }}>
            Prevented contacts, {props.period}
          </Heading>
          <Section>
            <table style={{ borderCollapse: 'collapse', width: '100%' }}>
              <tbody>
                {figures.map(([label, value]) => (
                  <tr key={label}>
                    <td style={cell}>{label}</td>
                    <td style={{ ...cell, textAlign: 'right', fontWeight: 700 }}>{value}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          {props.campaigns.length > 0 ? (
            <Section>
              <Heading as="h2" style={{ fontSize: '16px' }}>
                Campaigns
              </Heading>
              <table style={{ borderCollapse: 'collapse', width: '100%' }}>
                <tbody>
                  {props.campaigns.map((c) => (
                    <tr key={c.title}>
                      <td style={cell}>{c.title}</td>
                      <td style={{ ...cell, color: '#52525b' }}>{c.method}</td>
                      <td style={{ ...cell, textAlign: 'right' }}>{c.prevented}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          ) : (
            <Text>No campaign was measured in this period.</Text>
          )}
          <Button
            href={props.reportUrl}
            style={{
              backgroundColor: '#1d4ed8',
              color: '#fff',
              padding: '10px 18px',
              borderRadius: '4px',
              marginTop: '16px',
            }}
          >
            Open the full report
          </Button>
          <Hr />
          <Text style={{ color: '#52525b', fontSize: '12px' }}>
            Prevented contacts are measured against each campaign&apos;s holdout; observational
            estimates are labelled. You receive this digest because your address is in
            REPORT_DIGEST_TO.
          </Text>
        </Container>
      </Body>
    </Html>
  );
}

ReportDigestEmail.PreviewProps = {
  period: '2026-11-16 to 2026-11-22',
  prevented: '412',
  preventedInterval: '310 to 514',
  savings: '3,708.00',
  deflectionRate: '6.1%',
  contacts: '6,320',
  recontactRate: '4.2%',
  resolutionRate: '88.0%',
  campaigns: [
    { title: 'New invoice layout', prevented: '300 (220 to 380)', method: 'holdout' },
    { title: 'Maintenance on Sunday', prevented: '112 (40 to 184)', method: 'holdout' },
  ],
  reportUrl: 'https://forestall.example.com/v1/reports/prevented-contacts?format=html',
} satisfies ReportDigestProps;
