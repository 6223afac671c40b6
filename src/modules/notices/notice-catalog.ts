import { and, gt, isNotNull, isNull, or } from 'drizzle-orm';
import type { Clock } from '../../clock';
import type { Db } from '../../db/database';
import { type CampaignRow, campaigns, type Severity } from '../../db/schema';
import { type Audience, type AudienceMatcher, compileAudience } from '../campaigns/audience';

export type NoticeContent = {
  title: string;
  body_html: string;
  cta: { label: string; url: string } | null;
};

/** A published campaign shown in apps, ready for the hot path. */
export type LiveNotice = {
  id: string;
  version: number;
  channels: ('banner' | 'status')[];
  severity: Severity;
  startsAt: Date;
  endsAt: Date | null;
  holdoutPercent: number;
  matches: AudienceMatcher;
  content: NoticeContent;
  locales: Map<string, NoticeContent>;
  /** This notice as JSON in the API's shape, for a locale, built once per catalog load. */
  json(locale: string | null): string;
};

// Most urgent first; within a severity, the newest; the catalog is kept in this order.
const SEVERITY_ORDER: Record<Severity, number> = {
  critical: 0,
  warning: 1,
  maintenance: 2,
  info: 3,
};

const byUrgency = (a: LiveNotice, b: LiveNotice) =>
  SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
  b.startsAt.getTime() - a.startsAt.getTime() ||
  (a.id < b.id ? -1 : 1);

/** How stale an instance's view of published campaigns may be: ops changes show within this. */
export const CATALOG_MAX_AGE_MS = 1_000;

/**
 * Every instance keeps the published, not yet ended in-app campaigns in memory, compiled,
 * and reloads them at most once a second (one small query, shared by all requests waiting
 * for it). Nothing has to notify instances, which Hyperdrive could not do anyway.
 */
export function createNoticeCatalog(db: Db, clock: Clock) {
  let loaded: { at: number; notices: LiveNotice[] } | undefined;
  let loading: Promise<LiveNotice[]> | undefined;

  async function load(): Promise<LiveNotice[]> {
    const now = clock.now();
    const rows = await db
      .select()
      .from(campaigns)
      .where(
        and(
          isNotNull(campaigns.publishedAt),
          isNull(campaigns.cancelledAt),
          or(isNull(campaigns.endsAt), gt(campaigns.endsAt, now)),
        ),
      );
    const notices = rows.flatMap(toLiveNotice).sort(byUrgency);
    loaded = { at: performance.now(), notices };
    return notices;
  }

  return {
    /** The live notices, at most `CATALOG_MAX_AGE_MS` old. */
    async current(): Promise<LiveNotice[]> {
      if (loaded && performance.now() - loaded.at < CATALOG_MAX_AGE_MS) return loaded.notices;
      loading ??= load().finally(() => {
        loading = undefined;
      });
      return loading;
    },
    /** This instance's own changes show at once. */
    invalidate(): void {
      loaded = undefined;
    },
  };
}

export type NoticeCatalog = ReturnType<typeof createNoticeCatalog>;

function toLiveNotice(row: CampaignRow): LiveNotice[] {
  const channels = row.channels.filter((c) => c === 'banner' || c === 'status');
  if (channels.length === 0 || !row.startsAt) return [];
  const cta = row.ctaUrl && row.ctaLabel ? { label: row.ctaLabel, url: row.ctaUrl } : null;
  const jsonByLocale = new Map<string, string>();
  const notice: LiveNotice = {
    id: row.id,
    version: row.version,
    channels,
    severity: row.severity,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    holdoutPercent: row.holdoutPercent,
    matches: compileAudience(row.audience as Audience),
    content: { title: row.title, body_html: row.bodyHtml, cta },
    locales: new Map(
      Object.entries(row.locales).map(([locale, v]) => [
        locale.toLowerCase(),
        {
          title: v.title,
          body_html: v.body_html,
          cta: cta && { label: v.cta_label ?? cta.label, url: cta.url },
        },
      ]),
    ),
    json(locale) {
      const key = locale?.toLowerCase() ?? '';
      let json = jsonByLocale.get(key);
      if (json === undefined) {
        json = JSON.stringify({
          id: notice.id,
          channels: notice.channels,
          severity: notice.severity,
          ...contentFor(notice, locale),
          starts_at: notice.startsAt.toISOString(),
          ends_at: notice.endsAt?.toISOString() ?? null,
        });
        jsonByLocale.set(key, json);
      }
      return json;
    },
  };
  return [notice];
}

/** The account's locale, then its language, then the campaign's default content. */
export function contentFor(notice: LiveNotice, locale: string | null): NoticeContent {
  if (!locale) return notice.content;
  const wanted = locale.toLowerCase();
  return (
    notice.locales.get(wanted) ?? notice.locales.get(wanted.split('-')[0] ?? '') ?? notice.content
  );
}
