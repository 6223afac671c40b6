import { AppError } from '../http/app-error';
import { encodeKeyCursor, keyCursorSchema } from '../http/pagination';
import { isUuid } from '../lib/is-uuid';
import { getAccount } from '../modules/accounts/accounts.service';
import type { NoticeVerdict } from '../modules/campaigns/notice-audience';
import { deliveriesToAccount } from '../modules/email/delivery/deliveries.service';
import { type AccountSummary, searchAccounts } from '../modules/notices/account-search.service';
import { dismissalsOf, explainNotices } from '../modules/notices/notices.service';
import { Card, Instant, PageHeader, Pager, Pill, Table } from '../view-kit/components';
import { TextField } from '../view-kit/fields';
import {
  type ConsoleContext,
  createConsoleRouter,
  foundOr,
  render,
  signedIn,
} from './console-router';
import { PAGE_ROLES } from './layout';

export const accountRoutes = createConsoleRouter();
const ops = signedIn(PAGE_ROLES.accounts);
const PAGE_SIZE = 50;

const shortJson = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

const SearchForm = (props: { q: string; error?: string }) => (
  <form method="get" action="/console/accounts" class="period" aria-label="Search accounts">
    <div>
      <TextField
        state={{ values: { q: props.q }, errors: props.error ? { q: props.error } : {} }}
        name="q"
        label="Search accounts"
        hint="an id (or its start), or attribute=value such as plan=pro"
      />
    </div>
    <button type="submit">Search</button>
  </form>
);

const accountHref = (id: string) => `/console/accounts/${encodeURIComponent(id)}`;

const AccountTable = ({ rows }: { rows: AccountSummary[] }) => (
  <Table
    rows={rows}
    empty="No account matches. Accounts arrive through PUT /v1/accounts/{id} or the batch import."
    columns={[
      { header: 'Account', cell: (a) => <a href={accountHref(a.id)}>{a.id}</a> },
      { header: 'Plan', cell: (a) => a.plan ?? '—' },
      { header: 'Region', cell: (a) => a.region ?? '—' },
      { header: 'Components', cell: (a) => a.components.join(', ') || '—' },
      { header: 'Attributes', cell: (a) => shortJson(a.attributes) },
    ]}
  />
);

accountRoutes.get('/console/accounts', ops, async (c) => {
  const q = c.req.query('q') ?? '';
  const cursor = c.req.query('cursor') || undefined;
  const page = (rows: AccountSummary[], next: string | null, error?: string) =>
    render(
      c,
      'Accounts',
      <>
        <PageHeader title="Accounts" meta="What each account is and what it sees now." />
        <SearchForm q={q} error={error} />
        <AccountTable rows={rows} />
        <Pager
          first={cursor ? `/console/accounts?q=${encodeURIComponent(q)}` : undefined}
          next={next ? `/console/accounts?q=${encodeURIComponent(q)}&cursor=${next}` : undefined}
        />
      </>,
      error ? { status: 400, flash: { ok: false, text: error } } : {},
    );
  try {
    const found = await searchAccounts(c.var.deps, { query: q, cursor, limit: PAGE_SIZE });
    return page(found.data, found.next_cursor);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
    return page([], null, error.detail);
  }
});

/** The account page's list cursors, or undefined when one is not a cursor it handed out. */
function listCursors(dismissed: string | undefined, emails: string | undefined) {
  // '' when absent; undefined when forged (a cursor's key is never empty).
  const decode = (cursor: string | undefined) =>
    cursor === undefined ? '' : keyCursorSchema.safeParse(cursor).data;
  const dismissedKey = decode(dismissed);
  const emailsKey = decode(emails);
  if (dismissedKey === undefined || emailsKey === undefined) return;
  const [at = '', campaignId = ''] = dismissedKey.split('|');
  if (dismissedKey && (Number.isNaN(Date.parse(at)) || !isUuid(campaignId))) return;
  if (emailsKey && !isUuid(emailsKey)) return;
  return {
    dismissed: dismissedKey ? { at, campaignId } : undefined,
    emails: emailsKey || undefined,
  };
}

const VERDICT: Record<NoticeVerdict, string> = {
  shown: 'Shown',
  dismissed: 'Dismissed by the account',
  held_out: 'Held out (measurement group)',
  not_in_audience: 'Not in the audience',
};

async function accountPage(c: ConsoleContext) {
  const { deps } = c.var;
  const id = c.req.param('id') ?? '';
  const lookup = await foundOr(c, () => getAccount(deps, id), {
    href: '/console/accounts',
    label: 'Search accounts',
  });
  if ('page' in lookup) return lookup.page;
  const account = lookup.found;
  const cursors = listCursors(c.req.query('dismissed'), c.req.query('emails'));
  if (!cursors) {
    return render(c, `Account ${account.id}`, <PageHeader title={`Account ${account.id}`} />, {
      status: 400,
      flash: { ok: false, text: 'That page link is broken: start from the first page.' },
    });
  }
  const [notices, dismissalRows, emailRows] = await Promise.all([
    explainNotices(deps, id),
    dismissalsOf(deps, id, { limit: PAGE_SIZE + 1, after: cursors.dismissed }),
    deliveriesToAccount(deps, id, { limit: PAGE_SIZE + 1, before: cursors.emails }),
  ]);
  const dismissals = dismissalRows.slice(0, PAGE_SIZE);
  const emails = emailRows.slice(0, PAGE_SIZE);
  const self = `/console/accounts/${encodeURIComponent(account.id)}`;
  const lastDismissal = dismissals.at(-1);
  const nextDismissed =
    dismissalRows.length > PAGE_SIZE && lastDismissal
      ? `${self}?dismissed=${encodeKeyCursor(
          `${lastDismissal.dismissedAt.toISOString()}|${lastDismissal.campaignId}`,
        )}#dismissed`
      : undefined;
  const lastEmail = emails.at(-1);
  const nextEmails =
    emailRows.length > PAGE_SIZE && lastEmail
      ? `${self}?emails=${encodeKeyCursor(lastEmail.id)}#emails`
      : undefined;
  const facts: [string, string][] = [
    ['Plan', account.plan ?? '—'],
    ['Region', account.region ?? '—'],
    ['Components', account.components.join(', ') || '—'],
    ['Locale', account.locale ?? '—'],
    ['Time zone', account.time_zone ?? `— (workspace: ${deps.config.workspaceTimeZone})`],
    ...Object.entries(account.attributes).map(([k, v]): [string, string] => [
      `attributes.${k}`,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  ];
  const shown = notices.filter((n) => n.verdict === 'shown').length;
  const live = `${notices.length} live notice${notices.length === 1 ? '' : 's'}`;
  return render(
    c,
    `Account ${account.id}`,
    <>
      <PageHeader title={`Account ${account.id}`} meta={`Sees ${shown} of ${live} now.`}>
        <p>
          <a href="/console/accounts">All accounts</a>
        </p>
      </PageHeader>
      <Card id="attributes" title="Attributes">
        <Table
          rows={facts}
          columns={[
            { header: 'Attribute', cell: ([k]) => k },
            { header: 'Value', cell: ([, v]) => v },
          ]}
        />
        <p>
          Contacts:{' '}
          {account.contacts.length === 0
            ? 'none (no email reaches this account)'
            : account.contacts.map((ct, i) => (
                <>
                  {i > 0 ? ', ' : ''}
                  {ct.name ? (
                    <>
                      <bdi>{ct.name}</bdi>{' '}
                    </>
                  ) : (
                    ''
                  )}
                  &lt;<bdi>{ct.email}</bdi>&gt;
                </>
              ))}
        </p>
      </Card>
      <Card id="notices" title="What it sees now, and why">
        <Table
          rows={notices}
          empty="No notice is live now."
          columns={[
            {
              header: 'Notice',
              cell: (n) => (
                <a href={`/console/campaigns/${n.notice.id}`}>{n.notice.content.title}</a>
              ),
            },
            { header: 'Verdict', cell: (n) => <Pill>{VERDICT[n.verdict]}</Pill> },
            { header: 'Audience', cell: (n) => n.audience },
            { header: 'Holdout', cell: (n) => `${n.notice.holdoutPercent}%`, numeric: true },
          ]}
        />
      </Card>
      <Card id="dismissed" title="Dismissed">
        <Table
          rows={dismissals}
          empty={cursors.dismissed ? 'Nothing older.' : 'It has dismissed nothing.'}
          columns={[
            {
              header: 'Notice',
              cell: (d) => <a href={`/console/campaigns/${d.campaignId}`}>{d.title}</a>,
            },
            {
              header: 'Dismissed',
              cell: (d) => <Instant at={d.dismissedAt.toISOString()} />,
            },
          ]}
        />
        <Pager first={cursors.dismissed ? `${self}#dismissed` : undefined} next={nextDismissed} />
      </Card>
      <Card id="emails" title="Emails">
        <Table
          rows={emails}
          empty={
            cursors.emails
              ? 'Nothing older.'
              : 'No campaign email is planned for or was sent to this account.'
          }
          columns={[
            { header: 'Campaign', cell: (e) => e.campaign_title },
            { header: 'To', cell: (e) => e.email },
            { header: 'State', cell: (e) => <Pill>{e.status}</Pill> },
            {
              header: 'Planned for',
              cell: (e) => <Instant at={e.scheduled_for} />,
            },
          ]}
        />
        <Pager first={cursors.emails ? `${self}#emails` : undefined} next={nextEmails} />
      </Card>
    </>,
  );
}

accountRoutes.get('/console/accounts/:id', ops, (c) => accountPage(c));
