/** @jsxImportSource react */
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
  /**
   * The headline, for the preview: net prevented (over the campaigns' whole measurement
   * windows) and saved, or that there is no estimate.
   */
  headline: string;
  /**
   * Net prevented contacts, every reason, with their interval, said to be not distinguishable
   * from no effect when it holds zero; or that no campaign was measured against a holdout.
   */
  prevented: string;
  /** Target-reason prevented / shifted, or dashes when no campaign has both answers. */
  targetShifted: string;
  /** With their interval, as `prevented` is said. */
  savings: string;
  deflectionRate: string;
  /**
   * What the campaigns' figures are over: their whole measurement windows, which may reach
   * outside `period`, so a campaign is in every week's digest its window touches; null
   * without campaigns.
   */
  windows: string | null;
  /**
   * Which campaigns each total covers, as the report page's tiles say it: the net total's
   * (`net`, e.g. "measured against holdouts: 2 of 3 campaigns"), savings', deflection's and
   * churn's (`sameAsNet`), and the target-reason and shifted totals' (`target`).
   */
  covers: { net: string; sameAsNet: string; target: string };
  /**
   * The observational estimates of the campaigns without a holdout, summed apart from the
   * totals, labelled and with the caveat the report page gives them; null when there are none.
   */
  observational: { label: string; sum: string; caveat: string } | null;
  contacts: string;
  csat: string;
  firstResponse: string;
  recontactRate: string;
  resolutionRate: string;
  costPerResolution: string;
  /** Treated / held out, over the campaigns in the net total (as `prevented`). */
  churn: string;
  /** Deflection that came with worse service: CSAT down, re-contacts or churn up. */
  warnings: string[];
  /**
   * `status` as on the report page: a campaign cancelled after its email went out is here.
   * `note`, as there, says why it is not measured from its planned start, when it is not;
   * `why`, why it has no estimate, when it has none. `answer`: final or so far, over which
   * days of its measurement window.
   */
  campaigns: {
    title: string;
    status: string;
    prevented: string;
    method: string;
    answer: string;
    note: string | null;
    why: string | null;
  }[];
  reportUrl: string;
};

const cell = { padding: '4px 8px', borderBottom: '1px solid #e4e4e7', fontSize: '14px' };

export default function ReportDigestEmail(props: ReportDigestProps) {
  const figures: [string, string][] = [
    [`Net contacts prevented, every reason, ${props.covers.net}`, props.prevented],
    [`For the target reasons / shifted elsewhere, ${props.covers.target}`, props.targetShifted],
    [`Saved, ${props.covers.sameAsNet}`, props.savings],
    [`Deflection rate, ${props.covers.sameAsNet}`, props.deflectionRate],
    ['Contacts in the period', props.contacts],
    ['CSAT (ratings 4–5)', props.csat],
    ['First response, median (p90)', props.firstResponse],
    ['Re-contacts within 48 h', props.recontactRate],
    ['Resolved', props.resolutionRate],
    ['Cost per resolution', props.costPerResolution],
    [`Churn in the window, treated / held out, ${props.covers.sameAsNet}`, props.churn],
  ];
  return (
    <Html lang="en">
      <Head />
      <Preview>{`${props.headline} (${props.period})`}</Preview>
      <Body style={{ backgroundColor: '#f4f4f5', fontFamily: 'Helvetica, Arial, sans-serif' }}>
        <Container style={{ backgroundColor: '#ffffff', padding: '24px', maxWidth: '600px' }}>
          <Heading as="h1" style={{ fontSize: '20px' }}>
            Prevented contacts, {props.period}
          </Heading>
          {props.warnings.length > 0 ? (
            <Section
              style={{ border: '1px solid #b45309', backgroundColor: '#fff7ed', padding: '8px' }}
            >
              {props.warnings.map((warning) => (
                <Text key={warning} style={{ margin: '4px 0', color: '#8a3a00' }}>
                  {warning}
                </Text>
              ))}
            </Section>
          ) : null}
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
            {props.windows ? <Text style={{ fontSize: '14px' }}>{props.windows}</Text> : null}
            {props.observational ? (
              <Text style={{ fontSize: '14px' }}>
                {`${props.observational.label}: ${props.observational.sum}. ` +
                  props.observational.caveat}
              </Text>
            ) : null}
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
                      <td style={{ ...cell, color: '#52525b' }}>
                        {c.status}, {c.method}, {c.answer}
                        {c.note ? (
                          <>
                            <br />
                            {c.note}
                          </>
                        ) : null}
                        {c.why ? (
                          <>
                            <br />
                            No estimate: {c.why}
                          </>
                        ) : null}
                      </td>
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
            Prevented contacts are measured against each campaign&apos;s holdout, net over every
            reason; observational estimates are labelled. Figures of campaigns still running are so
            far; those against a holdout stay valid however often they are read. You receive this
            digest because your address is in REPORT_DIGEST_TO.
          </Text>
        </Container>
      </Body>
    </Html>
  );
}

ReportDigestEmail.PreviewProps = {
  period: '2026-11-16 to 2026-11-22',
  headline:
    "412 contacts prevented over the campaigns' whole measurement windows, so far, $3,708.00 saved",
  prevented: '412 (95%: 310 to 514)',
  targetShifted: '460 / 48',
  savings: '$3,708.00 (95%: $2,790.00 to $4,626.00)',
  deflectionRate: '6.1%',
  windows:
    "Prevented contacts, savings, deflection and churn are over the campaigns' whole " +
    'measurement windows (dates below), which may reach outside 2026-11-16 to 2026-11-22: a ' +
    'campaign is counted whole in the digest of every week its window touches, so digests do ' +
    "not add up. The other figures are 2026-11-16 to 2026-11-22's.",
  covers: {
    net:
      'measured against holdouts: 2 of 3 campaigns, over their whole measurement ' +
      'windows (1 still running: so far, with the wider interval that holds however often it ' +
      'is read)',
    sameAsNet: 'of the 2 campaigns in the net total',
    target: 'of the 2 campaigns with a target and a net answer',
  },
  observational: {
    label: 'Campaigns without a holdout (observational estimates, not in the totals)',
    sum: '64 contacts (30 to 98)',
    caveat:
      'A campaign without a holdout has an observational estimate instead, of its target ' +
      'reasons, with an interval from simulation, not one that stays valid however often it ' +
      'is read.',
  },
  contacts: '6,320',
  csat: '91.0%',
  firstResponse: '2.5 h (9 h)',
  recontactRate: '4.2%',
  resolutionRate: '88.0%',
  costPerResolution: '10.23',
  churn: '0.4% / 0.5%',
  warnings: [],
  campaigns: [
    {
      title: 'New invoice layout',
      status: 'ended',
      prevented: '300.2 (95%: 220.4 to 380.9)',
      method: 'holdout',
      answer: 'final, over its window 2026-11-02 to 2026-11-23',
      note: null,
      why: null,
    },
    {
      title: 'Maintenance on Sunday',
      status: 'active',
      prevented: '112.0 (95%: 40.3 to 183.7)',
      method: 'holdout',
      answer: 'so far, over 2026-11-18 to 2026-11-23 of its window',
      note: 'published 5 hours after its planned start; measured from publication',
      why: null,
    },
    {
      title: 'Billing page down',
      status: 'ended',
      prevented: 'no estimate',
      method: 'observational',
      answer: 'final, over its window 2026-11-09 to 2026-11-22',
      note: null,
      why:
        'an incident’s banner answers the contacts the incident itself brings: without a ' +
        'holdout, its effect cannot be told from the incident’s',
    },
  ],
  reportUrl: 'https://forestall.example.com/v1/reports/prevented-contacts?format=html',
} satisfies ReportDigestProps;
