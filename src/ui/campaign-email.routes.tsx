import { formatInTimeZone } from 'date-fns-tz';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../db/schema';
import { AppError } from '../http/app-error';
import { PageQuerySchema } from '../http/pagination';
import { type DeliveryView, listDeliveries } from '../modules/email/delivery/deliveries.service';
import {
  type EmailPreview,
  previewCampaignEmail,
} from '../modules/email/delivery/email-preview.service';
import { campaignSuppressions } from '../modules/email/recipients/suppressions.service';
import { Card, EmptyState, Instant, PageHeader, Pager, Pill, Table } from '../view-kit/components';
import { TextField } from '../view-kit/fields';
import {
  type ConsoleContext,
  campaignById,
  createConsoleRouter,
  foundOr,
  render,
  signedIn,
} from './console-router';
import { PAGE_ROLES } from './layout';

export const campaignEmailRoutes = createConsoleRouter();
const ops = signedIn(PAGE_ROLES.campaigns);
const PAGE_SIZE = 50;

const local = (iso: string, zone: string) =>
  `${formatInTimeZone(new Date(iso), zone, 'yyyy-MM-dd HH:mm')} ${zone}`;

const SKIPPED: Record<NonNullable<EmailPreview['skipped']>, string> = {
  not_in_audience: 'This account is not in the audience: it gets nothing.',
  held_out: 'This account is held out for measurement: it gets nothing.',
  suppressed: 'This address is suppressed: it gets nothing.',
};

const deliveryColumns = [
  {
    header: 'Account',
    cell: (d: DeliveryView) => (
      <a href={`/console/accounts/${encodeURIComponent(d.account_id)}`}>{d.account_id}</a>
    ),
  },
  { header: 'To', cell: (d: DeliveryView) => d.email },
  { header: 'State', cell: (d: DeliveryView) => <Pill>{d.status}</Pill> },
  {
    header: 'Planned (recipient time)',
    cell: (d: DeliveryView) => local(d.scheduled_for, d.time_zone),
  },
  { header: 'Planned (UTC)', cell: (d: DeliveryView) => <Instant at={d.scheduled_for} /> },
  { header: 'Sent', cell: (d: DeliveryView) => <Instant at={d.sent_at} /> },
  { header: 'Error', cell: (d: DeliveryView) => d.error ?? '' },
];

async function emailPage(c: ConsoleContext) {
  const { deps } = c.var;
  const lookup = await foundOr(c, () => campaignById(deps, c.req.param('id') ?? ''), {
    href: '/console/campaigns',
    label: 'All campaigns',
  });
  if ('page' in lookup) return lookup.page;
  const campaign = lookup.found;
  const base = `/console/campaigns/${campaign.id}/email`;
  if (!campaign.email) {
    return render(
      c,
      campaign.title,
      <>
        <PageHeader title={campaign.title} />
        <EmptyState>This campaign sends no email; add the email channel to send one.</EmptyState>
      </>,
      { status: 404 },
    );
  }
  const problems: string[] = [];
  const statusQuery = c.req.query('status') ?? '';
  const status = (DELIVERY_STATUSES as readonly string[]).includes(statusQuery)
    ? (statusQuery as DeliveryStatus)
    : undefined;
  if (statusQuery && !status) problems.push(`"${statusQuery}" is not a delivery state.`);
  const cursorQuery = PageQuerySchema.shape.cursor.safeParse(c.req.query('cursor') || undefined);
  if (!cursorQuery.success) {
    problems.push('That page link is not one this console made; here is the first page.');
  }
  const cursor = cursorQuery.success ? cursorQuery.data : undefined;
  const [deliveries, suppressions] = await Promise.all([
    listDeliveries(deps, campaign.id, { limit: PAGE_SIZE, cursor, status }),
    campaignSuppressions(deps, campaign.id),
  ]);
  const asked = c.req.query('account')?.trim() ?? '';
  const accountId = asked || deliveries.data[0]?.account_id;
  let preview: EmailPreview | undefined;
  if (accountId) {
    try {
      preview = await previewCampaignEmail(deps, campaign.id, accountId, undefined);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
      problems.push(`No preview for "${accountId}": ${error.detail}.`);
    }
  }
  const filter = status ? `status=${status}&` : '';
  const settings = campaign.email;
  return render(
    c,
    `${campaign.title}: email`,
    <>
      <PageHeader
        title={`${campaign.title}: email`}
        meta={
          settings.local_time
            ? `Each recipient gets it at ${settings.local_time} in their own time zone ` +
              "(the workspace's when the account has none) on the day it goes out, " +
              'or at once where that hour has already passed.'
            : 'Each recipient gets it at the campaign’s send time.'
        }
      >
        <p>
          <a href={`/console/campaigns/${campaign.id}`}>Back to the campaign</a>
        </p>
      </PageHeader>
      <Card id="preview" title="Preview for one recipient">
        <form method="get" action={base} class="period">
          <div>
            <TextField
              state={{ values: { account: accountId ?? '' }, errors: {} }}
              name="account"
              label="Account"
              hint="as this account's first contact gets it"
            />
          </div>
          <button type="submit">Preview</button>
        </form>
        {preview ? (
          <>
            <p>
              To <strong>{preview.to}</strong> · subject <strong>{preview.subject}</strong> ·
              planned for <Instant at={preview.scheduled_for} />
              {preview.delivery_status ? (
                <>
                  {' '}
                  · <Pill>{preview.delivery_status}</Pill>
                </>
              ) : (
                ''
              )}
            </p>
            {preview.skipped ? <p class="error">{SKIPPED[preview.skipped]}</p> : ''}
            <iframe class="email" title="Email preview" sandbox="" srcdoc={preview.html} />
          </>
        ) : (
          <EmptyState>
            No recipient yet: publish the campaign to plan its emails, or name an account.
          </EmptyState>
        )}
      </Card>
      <Card id="deliveries" title="Deliveries">
        <nav aria-label="Delivery states" class="pager">
          <a href={base} aria-current={status ? undefined : 'page'}>
            All
          </a>
          {DELIVERY_STATUSES.map((s) => (
            <a href={`${base}?status=${s}`} aria-current={s === status ? 'page' : undefined}>
              {s} ({deliveries.counts[s]})
            </a>
          ))}
        </nav>
        <p>{deliveries.held_out_accounts} accounts held out (sent nothing, measured).</p>
        <Table
          rows={deliveries.data}
          columns={deliveryColumns}
          empty={
            status ? `No delivery is ${status}.` : 'No delivery planned yet (publish to plan them).'
          }
        />
        <Pager
          first={cursor ? `${base}${status ? `?status=${status}` : ''}` : undefined}
          next={
            deliveries.next_cursor ? `${base}?${filter}cursor=${deliveries.next_cursor}` : undefined
          }
        />
      </Card>
      <Card id="suppressions" title="Suppressed recipients">
        <Table
          rows={suppressions}
          empty="No recipient of this campaign is suppressed."
          columns={[
            { header: 'Address', cell: (s) => s.email },
            { header: 'Why', cell: (s) => <Pill>{s.reason}</Pill> },
            { header: 'Since', cell: (s) => <Instant at={s.created_at} /> },
          ]}
        />
      </Card>
    </>,
    problems.length > 0 ? { status: 400, flash: { ok: false, text: problems.join(' ') } } : {},
  );
}

campaignEmailRoutes.get('/console/campaigns/:id/email', ops, (c) => emailPage(c));
