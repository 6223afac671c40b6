import { eq, sql } from 'drizzle-orm';
import { rowsOf } from '../../db/json-param';
import { campaigns, noticeDismissals, type Severity } from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, notFound } from '../../http/app-error';
import { strongEtag } from '../../http/etag';
import type { AudienceSubject } from '../campaigns/audience';
import { isHeldOut } from './holdout';
import { contentFor, type NoticeContent } from './notice-catalog';

export type NoticeView = NoticeContent & {
  id: string;
  channels: ('banner' | 'status')[];
  severity: Severity;
  starts_at: string;
  ends_at: string | null;
};

export type AccountNotices = {
  account_id: string;
  locale: string | null;
  notices: NoticeView[];
  /** A strong validator of exactly this answer. */
  etag: string;
};

type AccountForNotices = AudienceSubject & {
  created_at: string | Date;
  dismissed: string[] | null;
};

// Most urgent first; within a severity, the newest.
const SEVERITY_ORDER: Record<Severity, number> = {
  critical: 0,
  warning: 1,
  maintenance: 2,
  info: 3,
};

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
  const [account] = rowsOf<AccountForNotices>(
    await deps.db.execute(sql`
      select a.id, a.plan, a.region, a.components, a.locale, a.time_zone, a.attributes,
             a.created_at,
             (select json_agg(d.campaign_id) from notice_dismissals d where d.account_id = a.id)
               as dismissed
      from accounts a where a.id = ${accountId}`),
  );
  if (options.tokenGeneration !== undefined) {
    if (!account || new Date(account.created_at).getTime() !== options.tokenGeneration) {
      throw new AppError('unauthorized', 'The token is no longer valid for this account.');
    }
  }
  if (!account) throw notFound(`Account ${accountId}`);

  const now = deps.clock.now();
  const dismissed = new Set(account.dismissed ?? []);
  const locale = options.locale ?? account.locale;
  const notices: NoticeView[] = [];
  for (const notice of await deps.notices.catalog.current()) {
    if (notice.startsAt > now || (notice.endsAt && notice.endsAt <= now)) continue;
    if (!notice.matches(account)) continue;
    const heldOut = isHeldOut(notice.id, account.id, notice.holdoutPercent);
    deps.notices.exposures.record({
      campaign_id: notice.id,
      account_id: account.id,
      group: heldOut ? 'holdout' : 'treated',
      channel: notice.channels[0] ?? 'banner',
      first_at: now.toISOString(),
    });
    if (heldOut || dismissed.has(notice.id)) continue;
    notices.push({
      id: notice.id,
      channels: notice.channels,
      severity: notice.severity,
      ...contentFor(notice, locale),
      starts_at: notice.startsAt.toISOString(),
      ends_at: notice.endsAt?.toISOString() ?? null,
    });
  }
  notices.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      b.starts_at.localeCompare(a.starts_at),
  );
  const body = { account_id: account.id, locale, notices };
  return { ...body, etag: strongEtag(JSON.stringify(body)) };
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
}
