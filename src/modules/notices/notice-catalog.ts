import { Buffer } from 'node:buffer';
import { and, inArray } from 'drizzle-orm';
import type { Db } from '../../db/database';
import { DATABASE_WAIT_MS } from '../../db/database-errors';
import { type CampaignRow, campaigns, type Severity } from '../../db/schema';
import type { Clock } from '../../lib/clock';
import { hash32 } from '../../lib/hash32';
import { andThen, type MaybePromise } from '../../lib/maybe-promise';
import { settledWithin } from '../../lib/settle-within';
import { publishedCampaign, runsPast } from '../campaigns/campaign-status';
import { type InAppTarget, inAppTarget } from '../campaigns/notice-audience';

export type NoticeContent = {
  title: string;
  body_html: string;
  cta: { label: string; url: string } | null;
};

/** A notice's JSON text, and its length in UTF-8 bytes. */
export type NoticeJson = { text: string; bytes: number };

/** A published campaign shown in apps, ready for the hot path. */
export type LiveNotice = InAppTarget & {
  version: number;
  severity: Severity;
  startsAt: Date;
  endsAt: Date | null;
  content: NoticeContent;
  locales: Map<string, NoticeContent>;
  /** This notice as JSON in the API's shape, for a locale, built once per compiled version. */
  json(locale: string | null): NoticeJson;
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

/** How often an instance reads which campaigns are live: ops changes show within about this. */
export const CATALOG_REFRESH_MS = 1_000;
// How old the catalog may be and still be served while a refresh is on its way; past this,
// requests wait for the refresh, so ops changes always show within the 2-second promise.
const CATALOG_MAX_AGE_MS = 1_500;

/**
 * The notices live at one moment. `version` names the set (each notice's id and version),
 * so an answer computed from one set can be reused, on any instance, while it stays current.
 */
export type LiveSet = { version: string; notices: LiveNotice[] };

/**
 * What an instance knows of the catalog, kept across requests (a Workers isolate's requests
 * share it; a Node process has one): the last read and when it started, the campaigns of
 * that read compiled by version key (null: no in-app channel), what is live now and the read
 * it was taken from, and a generation that `invalidate` moves on. Plain data only: on
 * Workers one request cannot wait for another's I/O, so reads in progress are not shared.
 */
export type CatalogMemory = {
  loaded?: { startedAt: number; key: string; notices: LiveNotice[] };
  compiled: Map<string, LiveNotice | null>;
  live?: LiveSet & { of: LiveNotice[]; from: number; until: number };
  generation: number;
  /**
   * When the database was found away (`performance.now()`): a read failed, or outlived
   * DATABASE_WAIT_MS; cleared by the next read that succeeds.
   */
  failedAt?: number;
};

export const createCatalogMemory = (): CatalogMemory => ({ compiled: new Map(), generation: 0 });

/**
 * Every instance keeps the published, not yet ended in-app campaigns in memory, compiled,
 * and reads which they are (ids and versions: one small query) about once a second. Nothing
 * has to notify instances, which Hyperdrive could not do anyway. Only new versions are read
 * in full and compiled; the request that starts a read waits for it, and the others are
 * answered from the catalog they have meanwhile. The live set only changes when a notice
 * starts or ends, so its version stays put while nothing happens.
 */
export function createNoticeCatalog(
  db: Db,
  clock: Clock,
  memory: CatalogMemory = createCatalogMemory(),
) {
  let loading: Promise<LiveNotice[]> | undefined;
  let loadingSince = 0;

  async function readCompiled(): Promise<Map<string, LiveNotice | null>> {
    const liveCampaigns = and(publishedCampaign, runsPast(clock.now()));
    const versions = await db
      .select({ id: campaigns.id, version: campaigns.version })
      .from(campaigns)
      .where(liveCampaigns);
    const { compiled } = memory;
    const unread = versions.filter((v) => !compiled.has(versionKey(v))).map((v) => v.id);
    const rows =
      unread.length === 0
        ? []
        : await db
            .select()
            .from(campaigns)
            .where(and(liveCampaigns, inArray(campaigns.id, unread)));
    const read = new Map<string, LiveNotice | null>();
    for (const v of versions) {
      const notice = compiled.get(versionKey(v));
      if (notice !== undefined) read.set(versionKey(v), notice);
    }
    for (const row of rows) read.set(versionKey(row), toLiveNotice(row));
    return read;
  }

  function startLoad(): Promise<LiveNotice[]> {
    const startedAt = performance.now();
    const generation = memory.generation;
    const load: Promise<LiveNotice[]> = readCompiled()
      .then((read) => {
        const key = [...read.keys()].sort().join();
        const { loaded } = memory;
        const notices =
          loaded?.key === key
            ? loaded.notices
            : [...read.values()].filter((n) => n !== null).sort(byUrgency);
        // A read overtaken by `invalidate` may predate this instance's own change: not kept.
        if (memory.generation === generation) {
          memory.loaded = { startedAt, key, notices };
          memory.compiled = read;
        }
        memory.failedAt = undefined;
        return notices;
      })
      .catch((error: unknown) => {
        memory.failedAt = performance.now();
        throw error;
      })
      .finally(() => {
        if (loading === load) loading = undefined;
      });
    loading = load;
    loadingSince = startedAt;
    return load;
  }

  function loadedNotices(): MaybePromise<LiveNotice[]> {
    const { loaded } = memory;
    const now = performance.now();
    const age = loaded ? now - loaded.startedAt : Number.POSITIVE_INFINITY;
    if (loaded && age < CATALOG_REFRESH_MS) return loaded.notices;
    if (loaded && loading && age < CATALOG_MAX_AGE_MS) return loaded.notices;
    if (!loaded) return loading ?? startLoad();
    // A read already overdue is not waited for again by any request that follows: the
    // database counts as away until a read succeeds.
    if (loading && now - loadingSince > DATABASE_WAIT_MS) {
      memory.failedAt ??= now;
      return loaded.notices;
    }
    // The database is away (a read failed or overran): the catalog we have stands (an outage
    // must not stop notices), no request waits, and a read in the background probes for its
    // return as often as the catalog is refreshed.
    if (memory.failedAt !== undefined) {
      if (!loading && now - loadingSince >= CATALOG_REFRESH_MS) startLoad().catch(() => {});
      return loaded.notices;
    }
    // The request that starts a read waits for it (on Workers, its I/O is that request's),
    // but not for long, and never for an error: the catalog it has is the answer then.
    return settledWithin(loading ?? startLoad(), DATABASE_WAIT_MS, loaded.notices);
  }

  return {
    /** The notices live now, from a read of the catalog at most `CATALOG_MAX_AGE_MS` old. */
    current(): MaybePromise<LiveSet> {
      return andThen(loadedNotices(), (notices) => {
        const now = clock.now().getTime();
        const { live } = memory;
        if (live && live.of === notices && now >= live.from && now < live.until) return live;
        memory.live = { ...liveAt(notices, now), of: notices };
        return memory.live;
      });
    },
    /** This instance's own changes show at once: the next request reads the catalog again. */
    invalidate(): void {
      memory.generation++;
      memory.loaded = undefined;
      memory.live = undefined;
      loading = undefined;
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

function toLiveNotice(row: CampaignRow): LiveNotice | null {
  const target = inAppTarget(row);
  if (!target || !row.startsAt) return null;
  const cta = row.ctaUrl && row.ctaLabel ? { label: row.ctaLabel, url: row.ctaUrl } : null;
  const jsonByLocale = new Map<string, NoticeJson>();
  const notice: LiveNotice = {
    id: target.id,
    version: row.version,
    channels: target.channels,
    severity: row.severity,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    holdoutPercent: target.holdoutPercent,
    matches: target.matches,
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
        const text = JSON.stringify({
          id: notice.id,
          channels: notice.channels,
          severity: notice.severity,
          ...contentFor(notice, locale),
          starts_at: notice.startsAt.toISOString(),
          ends_at: notice.endsAt?.toISOString() ?? null,
        });
        json = { text, bytes: Buffer.byteLength(text) };
        jsonByLocale.set(key, json);
      }
      return json;
    },
  };
  return notice;
}

/** The account's locale, then its language, then the campaign's default content. */
export function contentFor(notice: LiveNotice, locale: string | null): NoticeContent {
  if (!locale) return notice.content;
  const wanted = locale.toLowerCase();
  return (
    notice.locales.get(wanted) ?? notice.locales.get(wanted.split('-')[0] ?? '') ?? notice.content
  );
}
