import { and } from 'drizzle-orm';
import type { Clock } from '../../clock';
import type { Db } from '../../db/database';
import { type CampaignRow, campaigns, type Severity } from '../../db/schema';
import { type Audience, type AudienceMatcher, compileAudience } from '../campaigns/audience';
import { publishedCampaign, runsPast } from '../campaigns/campaign-status';
import { hash32 } from './hash32';

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
 * The notices live at one moment. `version` names the set (each notice's id and version),
 * so an answer computed from one set can be reused, on any instance, while it stays current.
 */
export type LiveSet = { version: string; notices: LiveNotice[] };

/**
 * Every instance keeps the published, not yet ended in-app campaigns in memory, compiled,
 * and reloads them at most once a second (one small query, shared by all requests waiting
 * for it). Nothing has to notify instances, which Hyperdrive could not do anyway. Unchanged
 * rows keep their compiled notices, and the live set only changes when a notice starts or
 * ends, so its version stays put while nothing happens.
 */
export function createNoticeCatalog(db: Db, clock: Clock) {
  let loaded: { at: number; rowsKey: string; notices: LiveNotice[] } | undefined;
  let loading: Promise<LiveNotice[]> | undefined;
  let live: (LiveSet & { from: number; until: number }) | undefined;

  async function load(): Promise<LiveNotice[]> {
    const now = clock.now();
    const rows = await db
      .select()
      .from(campaigns)
      .where(and(publishedCampaign, runsPast(now)));
    const rowsKey = rows.map(versionKey).sort().join();
    if (loaded?.rowsKey !== rowsKey) {
      loaded = { at: 0, rowsKey, notices: rows.flatMap(toLiveNotice).sort(byUrgency) };
      live = undefined;
    }
    loaded.at = performance.now();
    return loaded.notices;
  }

  async function loadedNotices(): Promise<LiveNotice[]> {
    if (loaded && performance.now() - loaded.at < CATALOG_MAX_AGE_MS) return loaded.notices;
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return {
    /** The notices live now, from a load at most `CATALOG_MAX_AGE_MS` old. */
    async current(): Promise<LiveSet> {
      const notices = await loadedNotices();
      const now = clock.now().getTime();
      if (!live || now < live.from || now >= live.until) live = liveAt(notices, now);
      return live;
    },
    /** This instance's own changes show at once. */
    invalidate(): void {
      loaded = undefined;
      live = undefined;
    },
  };
}

/** Names one version of a campaign: what a set of notices, or an answer, is made of. */
export const versionKey = (campaign: { id: string; version: number }) =>
  `${campaign.id}.${campaign.version}`;

/** The notices live at `now`, and the interval in which that set stays the same. */
function liveAt(notices: LiveNotice[], now: number): LiveSet & { from: number; until: number } {
  let from = Number.NEGATIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  const current: LiveNotice[] = [];
  for (const notice of notices) {
    const starts = notice.startsAt.getTime();
    const ends = notice.endsAt?.getTime() ?? Number.POSITIVE_INFINITY;
    if (starts > now) until = Math.min(until, starts);
    else if (ends <= now) from = Math.max(from, ends);
    else {
      current.push(notice);
      from = Math.max(from, starts);
      until = Math.min(until, ends);
    }
  }
  const key = current.map(versionKey).join();
  return { version: `${hash32(key, 1)}${hash32(key, 2)}`, notices: current, from, until };
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
