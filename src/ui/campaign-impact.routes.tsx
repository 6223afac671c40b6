import { campaignImpact } from '../modules/impact/impact.service';
import { Card, PageHeader, Table } from '../view-kit/components';
import { campaignById, createConsoleRouter, foundOr, render, signedIn } from './console-router';
import { AreaLink, PAGE_ROLES } from './layout';

export const campaignImpactRoutes = createConsoleRouter();

type Answer = Awaited<ReturnType<typeof campaignImpact>>['net'];

const round = (n: number) => (Math.round(n * 10) / 10).toLocaleString('en');

/** A number with its interval, or why there is none yet. */
const answerText = (answer: Answer) =>
  answer.status === 'ok' && 'prevented' in answer && answer.prevented
    ? `${round(answer.prevented.estimate)} ` +
      `(95% interval ${round(answer.prevented.low)} to ${round(answer.prevented.high)})`
    : `No number yet: ${'reason' in answer ? answer.reason : 'insufficient data'}`;

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
    return render(
      c,
      `${campaign.title}: impact`,
      <>
        <PageHeader
          title={`${campaign.title}: impact`}
          meta={
            `Measured ${impact.method === 'holdout' ? 'against its holdout' : 'observationally'},` +
            ' ' +
            `over ${impact.window.elapsed_days} of ${impact.window.planned_days} days.`
          }
        >
          <p>
            <AreaLink session={session} area="campaigns" href={`/console/campaigns/${campaign.id}`}>
              The campaign
            </AreaLink>{' '}
            · <a href="/console/reports">All campaigns in the report</a>
          </p>
        </PageHeader>
        <Card id="prevented" title="Contacts prevented">
          <Table
            rows={
              [
                ['Net, all reasons (headline)', impact.net],
                ['Target reasons', impact.target],
                ['Shifted to other reasons', impact.shifted],
              ] as [string, Answer][]
            }
            columns={[
              { header: 'Measure', cell: ([label]) => label },
              { header: 'Contacts', cell: ([, answer]) => answerText(answer) },
            ]}
          />
        </Card>
      </>,
    );
  },
);
