import { eq, sql } from 'drizzle-orm';
import murmurhash from 'murmurhash';
import { rowsOf } from '../../db/json-param';
import { campaigns, noticeDismissals } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, notFound } from '../../http/app-error';
import type { NoticeAccount } from './account-cache';
import { isHeldOut } from './holdout';
import type { LiveNotice } from './notice-catalog';

/** The JSON answer (notices most urgent first, each built once per catalog load) and its ETag. */
export type AccountNotices = { body: string; etag: string };

/**
 * What an account should see now: live campaigns whose audience it matches, in its locale,
 * minus dismissed ones and campaigns that hold it out. Records the first view of each
 * (treated) and of each campaign that held it out (holdout) without waiting for the write.
 * `tokenGeneration` is set when a browser token asks: it must name this very account.
 */
export async function noticesFor(
  deps: Deps,
  accountId: string,
  options: { locale?: string; tokenGeneration?: number } = {},
): Promise<AccountNotices> {
  const account = await noticeAccount(deps, accountId);
  if (options.tokenGeneration !== undefined && account?.createdAtMs !== options.tokenGeneration) {
    throw new AppError('unauthorized', 'The token is no longer valid for this account.');
  }
  if (!account) throw notFound(`Account ${accountId}`);

  const now = deps.clock.now();
  const locale = options.locale ?? account.locale;
  const shown: LiveNotice[] = [];
  const sighting = {
    account_id: account.id,
    channel: 'in_app',
    seen_at: now.toISOString(),
    treated: [] as string[],
    held_out: [] as string[],
  };
  for (const notice of await deps.notices.catalog.current()) {
    if (notice.startsAt > now || (notice.endsAt && notice.endsAt <= now)) continue;
    if (!notice.matches(account)) continue;
    if (isHeldOut(notice.id, account.id, notice.holdoutPercent)) {
      sighting.held_out.push(notice.id);
      continue;
    }
    sighting.treated.push(notice.id);
    if (!account.dismissed.has(notice.id)) shown.push(notice);
  }
  deps.notices.exposures.record(sighting);
  // The answer is a function of the account, its locale and each notice's version, so the
  // ETag is too (64 bits of MurmurHash3): no need to hash the body itself.
  const fingerprint = `${account.id}\u0000${locale ?? ''}\u0000${shown.map((n) => `${n.id}.${n.version}`).join(',')}`;
  const etag = `"${hex(murmurhash.v3(fingerprint, 1))}${hex(murmurhash.v3(fingerprint, 2))}"`;
  const body = `{"account_id":${JSON.stringify(account.id)},"locale":${JSON.stringify(locale)},"notices":[${shown.map((n) => n.json(locale)).join(',')}]}`;
  return { body, etag };
}

const hex = (value: number) => value.toString(16).padStart(8, '0');

async function noticeAccount(deps: Deps, id: string): Promise<NoticeAccount | undefined> {
  const cached = deps.notices.accounts.get(id);
  if (cached) return cached;
  const account = await deps.notices.accountLoader.load(id);
  if (account) deps.notices.accounts.set(id, account);
  return account;
}

/** Idempotent: dismissing twice keeps the first time. */
export async function dismissNotice(deps: Deps, accountId: string, campaignId: string) {
  const [account] = rowsOf<{ id: string }>(
    await deps.db.execute(sql`select id from accounts where id = ${accountId}`),
  );
  if (!account) throw notFound(`Account ${accountId}`);
  const [campaign] = await deps.db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  if (!campaign) throw notFound(`Notice ${campaignId}`);
  await deps.db
    .insert(noticeDismissals)
    .values({ accountId, campaignId, dismissedAt: deps.clock.now() })
    .onConflictDoNothing();
  deps.notices.accounts.delete(accountId);
}
