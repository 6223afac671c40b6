import type { Child } from 'hono/jsx';
import { deflectionInterval } from '../modules/impact/effect-reading';
import { campaignImpact } from '../modules/impact/impact.service';
import type { CampaignImpact } from '../modules/impact/impact-schemas';
import { ownCauseRefusal } from '../modules/impact/own-cause';
import {
  deflectionNoneText,
  preventedText,
  ratePercent,
  savedText,
} from '../modules/reports/effect-text';
import {
  formatCount,
  formatHours,
  formatMoney,
  formatPercent,
} from '../modules/reports/report-format';
import { ServiceWarnings } from '../modules/reports/report-page';
import { Card, type Column, Note, PageHeader, Table } from '../view-kit/components';
import { campaignById, createConsoleRouter, foundOr, render, signedIn } from './console-router';
import { AreaLink, PAGE_ROLES } from './layout';

export const campaignImpactRoutes = createConsoleRouter();

type Answer = CampaignImpact['net'];
type Group = CampaignImpact['companion']['treated'];

const elapsedDays = (days: number) => (days < 1 ? 'less than one' : formatCount(Math.floor(days)));
/** A window's planned days: a campaign may end at any hour, so to a tenth where not whole. */
const plannedDays = (days: number) => formatCount(days, Number.isInteger(days) ? 0 : 1);

/**
 * A number with its interval, or why there is none yet. An interval that holds zero is said
 * to in words (the leaders' report's): a leader reads the figure alone as an effect.
 */
const answerText = (answer: Answer) => {
  const { prevented } = answer;
  if (answer.status !== 'ok' || !prevented) {
    return `No number yet: ${answer.reason ?? 'insufficient data'}`;
  }
  return preventedText(prevented, 1);
};

/** Savings with their interval, as the leaders' report says them. */
const savedCell = (answer: Answer, currency: string) =>
  answer.savings_cents && answer.prevented
    ? savedText(answer.prevented, answer.savings_cents, currency)
    : '–';

const preventedColumns = (currency: string): Column<[string, Answer]>[] => [
  { header: 'Measure', cell: ([label]) => label },
  { header: 'Contacts prevented', cell: ([, answer]) => answerText(answer) },
  {
    header: 'Saved',
    numeric: true,
    cell: ([, answer]) => savedCell(answer, currency),
  },
];

/**
 * The deflection rate with its interval, from net prevented's. While net prevented could be
 * none, the rate's estimate is no result: it is muted, in the leaders' report's words.
 */
const Deflection = ({ net }: { net: Answer }) => {
  const { prevented } = net;
  if (net.status !== 'ok' || !prevented || net.treated_contacts === undefined) return '';
  const none = deflectionNoneText(prevented, net.treated_contacts);
  if (none) return <Note>Deflection rate: {none}. Savings are not claimed either.</Note>;
  const rate = deflectionInterval(prevented, net.treated_contacts);
  return (
    <p>
      Deflection rate: {ratePercent(rate.estimate, '–')} (95% interval{' '}
      {ratePercent(rate.low, 'unbounded below')} to {ratePercent(rate.high, 'unbounded above')}) of
      the contacts the treated accounts would have made did not happen.
    </p>
  );
};

/** The companion metrics of both groups, a row each, as the report shows them per campaign. */
const groupRows = (currency: string): [string, (g: Group) => Child][] => [
  ['Accounts', (g) => formatCount(g.accounts)],
  ['Contacts, all reasons', (g) => formatCount(g.contacts)],
  ['Contacts, target reasons', (g) => formatCount(g.target_contacts)],
  ['Re-contacts within 48 h', (g) => formatPercent(g.recontact_rate)],
  ['Resolved', (g) => formatPercent(g.resolution_rate)],
  ['Cost per resolution', (g) => formatMoney(g.cost_per_resolution_cents, currency)],
  [
    'CSAT (ratings 4–5)',
    (g) => (g.csat === null ? '–' : `${formatPercent(g.csat)} of ${formatCount(g.csat_responses)}`),
  ],
  [
    'First response, median / p90',
    (g) =>
      `${formatHours(g.first_response_median_hours)} / ${formatHours(g.first_response_p90_hours)}`,
  ],
  ['Churned in the window', (g) => formatPercent(g.churn_rate)],
  ['Downgraded in the window', (g) => formatPercent(g.downgrade_rate)],
];

/** What the groups can show; past 100% no figure is worth quoting: nothing could show. */
export const DetectableLift = ({ lift }: { lift: number | null }) =>
  lift === null ? (
    ''
  ) : lift >= 1 ? (
    <Note>
      These groups are too small to show any effect: even a campaign that prevented every contact
      would likely read as no effect (80% power, 5% level). A larger holdout would help.
    </Note>
  ) : (
    <p>
      With these groups the measurement detects a lift of {formatPercent(lift)} or more of the
      contacts (80% power, 5% level); a smaller effect may read as no effect.
    </p>
  );

const DesignNotes = ({ impact }: { impact: CampaignImpact }) => {
  const reached = impact.holdout_reached;
  return (
    <>
      <Deflection net={impact.net} />
      <DetectableLift lift={impact.detectable.net.adjusted} />
      {reached.accounts > 0 ? (
        <Note>
          {formatCount(reached.accounts)} of the {formatCount(reached.held_out)} held-out accounts
          got this email anyway, at an address they share with a treated account. They stay held out
          as assigned, so the figures understate the contacts prevented by about{' '}
          {formatPercent(reached.accounts / reached.held_out)}.
        </Note>
      ) : (
        ''
      )}
    </>
  );
};

const Observational = ({ impact, origin }: { impact: CampaignImpact; origin: string }) => {
  const estimate = impact.observational;
  if (!estimate) return '';
  // An incident's banner will never have one: "yet" would promise it.
  const none = ownCauseRefusal(origin) ? 'No number' : 'No number yet';
  return (
    <Card id="observational" title="Without a holdout">
      {estimate.status === 'ok' && estimate.prevented ? (
        <p>
          For the target reasons, the weeks before the campaign predict{' '}
          {formatCount(estimate.expected, 1)} contacts over its window;{' '}
          {formatCount(estimate.observed)} came:{' '}
          {answerText({ status: 'ok', prevented: estimate.prevented })} prevented. This assumes
          nothing else changed in that time.
        </p>
      ) : (
        <p>
          {none}: {estimate.reason ?? 'insufficient data'}
        </p>
      )}
    </Card>
  );
};

/** A draft or cancelled campaign: why there are no figures, rather than empty ones. */
const NotRun = ({ impact }: { impact: CampaignImpact }) => (
  <Card id="not-run" title="Contacts prevented">
    <p>
      This campaign has not run: there is nothing to measure.{' '}
      {impact.campaign_status === 'draft'
        ? 'It is a draft, never published, so no account was shown or sent it. Once published, its figures appear here as its window runs.'
        : 'It was cancelled before it started, so no account was shown or sent it.'}
    </p>
  </Card>
);

campaignImpactRoutes.get(
  '/console/campaigns/:id/impact',
  signedIn(PAGE_ROLES.reports),
  async (c) => {
    const { deps, session } = c.var;
    const lookup = await foundOr(c, () => campaignById(deps, c.req.param('id') ?? ''), {
      href: '/console/reports',
      label: 'The report',
    });
    if ('page' in lookup) return lookup.page;
    const campaign = lookup.found;
    const impact = await campaignImpact(deps, campaign.id);
    const currency = deps.config.currency;
    const { treated, holdout } = impact.companion;
    return render(
      c,
      `${campaign.title}: impact`,
      <>
        <PageHeader
          title={`${campaign.title}: impact`}
          meta={
            impact.measurement === 'not_run'
              ? `Not measured: the campaign is ${impact.campaign_status === 'draft' ? 'a draft' : 'cancelled'}.`
              : `Measured ${impact.method === 'holdout' ? 'against its holdout' : 'observationally'},` +
                ' ' +
                `over ${elapsedDays(impact.window.elapsed_days)} of ${plannedDays(impact.window.planned_days)} days` +
                (impact.measurement === 'final' ? ' (final).' : ' so far.') +
                (impact.exposure?.note ? ` It was ${impact.exposure.note}.` : '')
          }
        >
          <p>
            <AreaLink session={session} area="campaigns" href={`/console/campaigns/${campaign.id}`}>
              The campaign
            </AreaLink>{' '}
            · <a href="/console/reports">All campaigns in the report</a>
          </p>
        </PageHeader>
        <ServiceWarnings warnings={impact.warnings} />
        {impact.measurement === 'not_run' ? (
          <NotRun impact={impact} />
        ) : impact.method === 'holdout' ? (
          <>
            <Card id="prevented" title="Contacts prevented">
              <Table
                rows={
                  [
                    ['Net, all reasons (headline)', impact.net],
                    ['Target reasons', impact.target],
                    ['Shifted to other reasons', impact.shifted],
                  ] as [string, Answer][]
                }
                columns={preventedColumns(currency)}
              />
              <DesignNotes impact={impact} />
            </Card>
            <Card id="groups" title="Treated and held-out accounts">
              <Table
                rows={groupRows(currency)}
                columns={[
                  {
                    header: 'Over each account’s window',
                    cell: ([label]) => label,
                  },
                  {
                    header: 'Treated',
                    numeric: true,
                    cell: ([, show]) => show(treated),
                  },
                  {
                    header: 'Held out',
                    numeric: true,
                    cell: ([, show]) => show(holdout),
                  },
                ]}
              />
            </Card>
          </>
        ) : (
          // No holdout: the observational estimate is the only one there will be.
          <Observational impact={impact} origin={campaign.origin} />
        )}
      </>,
    );
  },
);
