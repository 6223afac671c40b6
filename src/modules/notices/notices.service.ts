import { Buffer } from 'node:buffer';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../db/database-errors';
import { campaigns, noticeDismissals, type Role } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, notFound } from '../../http/app-error';
import { hash32 } from '../../lib/hash32';
import type { MaybePromise } from '../../lib/maybe-promise';
import { within } from '../../lib/settle-within';
import type { Audience } from '../campaigns/audience';
import { audienceText } from '../campaigns/audience-text';
import { type NoticeVerdict, noticeVerdict, shownInApp } from '../campaigns/notice-audience';
import type { NoticeAccount, NoticeAnswer } from './account-cache';
import { accountsAfter } from './account-loader';
import { type LiveNotice, type LiveSet, versionKey } from './notice-catalog';

/** An account not in memory is read within this, or the request gets a 503. */
const NOTICES_ACCOUNT_LOAD_MS = 3_000;

/** Who may read an account's notices with an API key (a browser token for it may too). */
export const NOTICE_READERS: readonly Role[] = ['app'];

/** Private: the answer is per account; no-cache: revalidate every time (ETag makes it cheap). */
export const NOTICES_CACHE_CONTROL = 'private, no-cache';

/** The answer for one account: its ETag, and its JSON body (notices most urgent first). */
export type AccountNotices = Pick<NoticeAnswer, 'etag' | 'bodyBytes' | 'body'>;

/**
 * What an account should see now: live campaigns whose audience it matches, in its locale,
 * minus dismissed ones and campaigns that hold it out. Records the first view of each
 * (treated) and of each campaign that held it out (holdout) without waiting for the write.
 * `tokenGeneration` is set when a browser token asks: it must name this very account.
 */
export function noticesFor(
  deps: Deps,
  accountId: string,
  options: { locale?: string; tokenGeneration?: number } = {},
): MaybePromise<AccountNotices> {
  const account = noticeAccount(deps, accountId);
  const live = deps.notices.catalog.current();
  if (account instanceof Promise || live instanceof Promise) {
    return Promise.all([account, live]).then(([a, l]) => answerFor(deps, a, l, accountId, options));
  }
  return answerFor(deps, account, live, accountId, options);
}

function answerFor(
  deps: Deps,
  account: NoticeAccount | undefined,
  live: LiveSet,
  accountId: string,
  options: { locale?: string; tokenGeneration?: number },
): AccountNotices {
  if (options.tokenGeneration !== undefined && account?.createdAtMs !== options.tokenGeneration) {
    throw staleToken();
  }
  if (!account) throw notFound(`Account ${accountId}`);
  const locale = options.locale ?? account.locale;
  // An account that asks again while nothing changed gets the answer it got last time: the
  // cached account is dropped when it changes, and `live.version` moves when notices do.
  const last = account.answer;
  if (last && last.liveVersion === live.version && last.locale === locale) return last;
  const answer = computeAnswer(deps, account, live, locale);
  account.answer = answer;
  return answer;
}

const staleToken = () =>
  new AppError('unauthorized', 'The token is no longer valid for this account.');

function computeAnswer(
  deps: Deps,
  account: NoticeAccount,
  live: LiveSet,
  locale: string | null,
): NoticeAnswer {
  const shown: number[] = [];
  const sighting = {
    account_id: account.id,
    channel: 'in_app',
    seen_at: deps.clock.now().toISOString(),
    treated: [] as string[],
    held_out: [] as string[],
  };
  for (const [i, notice] of live.notices.entries()) {
    const verdict = noticeVerdict(notice, account);
    if (verdict === 'not_in_audience') continue;
    if (verdict === 'held_out') {
      sighting.held_out.push(notice.id);
      continue;
    }
    sighting.treated.push(notice.id);
    if (verdict === 'shown') shown.push(i);
  }
  deps.notices.exposures.record(sighting);
  const notices = shown.map((i) => live.notices[i] as LiveNotice);
  // The answer is a function of the account, its locale and each notice's version, so the
  // ETag is too (64 bits of MurmurHash3): no need to hash the body itself.
  const versions = notices.map(versionKey).join(',');
  const fingerprint = `${account.id}\u0000${locale ?? ''}\u0000${versions}`;
  // The head, the notices, the commas between them and the closing `]}`.
  let bodyBytes =
    Buffer.byteLength(bodyHead(account.id, locale)) + Math.max(shown.length - 1, 0) + 2;
  for (const notice of notices) bodyBytes += notice.json(locale).bytes;
  const etag = `"${hash32(fingerprint, 1)}${hash32(fingerprint, 2)}"`;
  return new KeptAnswer(live, locale, etag, bodyBytes, account.id, String.fromCharCode(...shown));
}

/**
 * The answer an account keeps until it or the live notices change, in a few fields: which
 * of the live notices it is shown, one character each (test/bench/README.md).
 */
class KeptAnswer implements NoticeAnswer {
  constructor(
    private readonly live: LiveSet,
    readonly locale: string | null,
    readonly etag: string,
    readonly bodyBytes: number,
    private readonly accountId: string,
    private readonly shown: string,
  ) {}

  get liveVersion(): string {
    return this.live.version;
  }

  /**
   * Concatenated rather than joined: V8 links the parts instead of copying them, and the one
   * copy is made as the answer is written out. The notices' JSON is the catalog's.
   */
  body(): string {
    let body = bodyHead(this.accountId, this.locale);
    for (let i = 0; i < this.shown.length; i++) {
      if (i > 0) body += ',';
      body += (this.live.notices[this.shown.charCodeAt(i)] as LiveNotice).json(this.locale).text;
    }
    return `${body}]}`;
  }
}

const bodyHead = (accountId: string, locale: string | null) =>
  `{"account_id":${JSON.stringify(accountId)},"locale":${JSON.stringify(locale)},"notices":[`;

function noticeAccount(deps: Deps, id: string): MaybePromise<NoticeAccount | undefined> {
  const syncing = deps.notices.accounts.sync(deps.db);
  return syncing ? syncing.then(() => cachedAccount(deps, id)) : cachedAccount(deps, id);
}

function cachedAccount(deps: Deps, id: string): MaybePromise<NoticeAccount | undefined> {
  const { accounts, accountLoader } = deps.notices;
  return (
    accounts.get(id) ??
    // An account not in memory needs the database: a 503 rather than a wait when it is away.
    within(
      accounts.load(id, (key) => accountLoader.load(key)),
      NOTICES_ACCOUNT_LOAD_MS,
      () =>
        new AppError(
          'unavailable',
          'The database did not answer in time; retry shortly.',
          undefined,
          DATABASE_RETRY_AFTER_SECONDS,
        ),
    )
  );
}

/**
 * Node, at start-up: reads accounts into the notices cache before requests ask for them, when
 * there are notices to ask for (a workspace that does not use them never loads its accounts).
 */
export async function warmNoticeAccounts(deps: Deps): Promise<void> {
  if ((await deps.notices.catalog.current()).notices.length === 0) return;
  const started = performance.now();
  const added = await deps.notices.accounts.warm(deps.db, (afterId) =>
    accountsAfter(deps.db, afterId),
  );
  deps.logger.info('notices account cache warmed', {
    accounts: added,
    ms: Math.round(performance.now() - started),
  });
}

/**
 * Idempotent: dismissing twice keeps the first time. Only a notice the account is shown, or
 * was while it ran, can be dismissed; any other campaign is answered as one that does not
 * exist, so an account learns nothing of campaigns outside its audience. With a browser token,
 * the account must be the incarnation the token was minted for (not one re-created under the
 * same id). The account is read from the database, not the cache: a write goes by the truth.
 */
export async function dismissNotice(
  deps: Deps,
  accountId: string,
  campaignId: string,
  options: { tokenGeneration?: number } = {},
) {
  const account = await deps.notices.accountLoader.load(accountId);
  if (options.tokenGeneration !== undefined && account?.createdAtMs !== options.tokenGeneration) {
    throw staleToken();
  }
  if (!account) throw notFound(`Account ${accountId}`);
  const [campaign] = await deps.db
    .select({
      id: campaigns.id,
      channels: campaigns.channels,
      audience: campaigns.audience,
      holdoutPercent: campaigns.holdoutPercent,
      publishedAt: campaigns.publishedAt,
      cancelledAt: campaigns.cancelledAt,
      startsAt: campaigns.startsAt,
      endsAt: campaigns.endsAt,
    })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  if (!campaign || !shownInApp(campaign, account, deps.clock.now())) {
    throw notFound(`Notice ${campaignId}`);
  }
  await deps.db
    .insert(noticeDismissals)
    .values({ accountId, campaignId, dismissedAt: deps.clock.now() })
    .onConflictDoNothing();
  deps.notices.accounts.evict([accountId]);
}

/**
 * Every notice live now and what this account gets of it, judged as `noticesFor` judges
 * (`noticeVerdict`), but recording no exposure: ops looking at an account is not the account
 * seeing anything.
 */
export async function explainNotices(
  deps: Deps,
  accountId: string,
): Promise<{ notice: LiveNotice; verdict: NoticeVerdict; audience: string }[]> {
  const [account, live] = await Promise.all([
    noticeAccount(deps, accountId),
    deps.notices.catalog.current(),
  ]);
  if (!account) throw notFound(`Account ${accountId}`);
  const ids = live.notices.map((n) => n.id);
  const rules =
    ids.length === 0
      ? []
      : await deps.db
          .select({ id: campaigns.id, audience: campaigns.audience })
          .from(campaigns)
          .where(inArray(campaigns.id, ids));
  const ruleOf = new Map(rules.map((r) => [r.id, audienceText(r.audience as Audience)]));
  return live.notices.map((notice) => ({
    notice,
    audience: ruleOf.get(notice.id) ?? '',
    verdict: noticeVerdict(notice, account),
  }));
}

/**
 * The notices an account dismissed, newest first, whether or not they still run: a page of
 * `limit`, after the dismissal `after` names (its time and campaign, as the cursor says).
 */
export async function dismissalsOf(
  deps: Deps,
  accountId: string,
  page: { limit: number; after?: { at: string; campaignId: string } },
) {
  const after = page.after;
  return deps.db
    .select({
      campaignId: noticeDismissals.campaignId,
      title: campaigns.title,
      dismissedAt: noticeDismissals.dismissedAt,
    })
    .from(noticeDismissals)
    .innerJoin(campaigns, eq(campaigns.id, noticeDismissals.campaignId))
    .where(
      and(
        eq(noticeDismissals.accountId, accountId),
        after
          ? sql`(${noticeDismissals.dismissedAt}, ${noticeDismissals.campaignId})
              < (${after.at}::timestamptz, ${after.campaignId}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(noticeDismissals.dismissedAt), desc(noticeDismissals.campaignId))
    .limit(page.limit);
}
