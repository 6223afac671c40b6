import { LRUCache } from 'lru-cache';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Clock } from './clock';
import { systemClock } from './clock';
import type { Config } from './config';
import type { Db } from './db/database';
import type { Principal } from './http/app-env';
import type { Logger } from './logger';
import { createLogger } from './logger';
import type { EmailTransport } from './modules/email/email-transport';
import { createOutboxTransport } from './modules/email/outbox-transport';
import { createResendTransport } from './modules/email/resend-transport';
import { type AccountCache, createAccountCache } from './modules/notices/account-cache';
import { type AccountLoader, createAccountLoader } from './modules/notices/account-loader';
import { createExposureBuffer, type ExposureBuffer } from './modules/notices/exposure-buffer';
import {
  type CatalogMemory,
  createCatalogMemory,
  createNoticeCatalog,
  type NoticeCatalog,
} from './modules/notices/notice-catalog';
import { type DetectionRunner, inlineDetectionRunner } from './modules/spikes/detection-job';
import { type Compute, inlineCompute } from './threads/compute';

/**
 * A key found valid: when this instance last checked it (`performance.now()`), when its use
 * was last written down, and the check under way, if any.
 */
export type RememberedKey = {
  principal: Principal;
  checkedAt: number;
  lastUsedAt: Date | null;
  recheck?: Promise<Principal | null>;
  recheckStartedAt?: number;
  /** When a check last failed for want of a database (`performance.now()`). */
  failedAt?: number;
};

/** Everything a route, service or job needs, built once per process (Node) or per request (Workers). */
export type Deps = {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Resend when RESEND_API_KEY is set, else the local outbox that stores what would be sent. */
  mailer: EmailTransport;
  /** Per-instance state of the notices hot path: the compiled campaigns and unwritten exposures. */
  notices: {
    catalog: NoticeCatalog;
    exposures: ExposureBuffer;
    accounts: AccountCache;
    accountLoader: AccountLoader;
  };
  /**
   * What `/ready` waits for beyond the database: Node warms the notices caches after it starts
   * listening and says so here; Workers, which keep no warm caches, are ready at once.
   */
  readiness: Readiness;
  /** API keys recently seen valid, by hash (see `authenticateApiKey`). */
  principals: LRUCache<string, RememberedKey>;
  /**
   * Hands over work a request starts and does not wait for (it handles its own errors). On
   * Node it simply runs; Workers keep the request alive until it is done.
   */
  background: (task: Promise<void>) => void;
  /** Fits spike-detection models: worker threads on Node, inline on Workers (cron only). */
  detection: DetectionRunner;
  /**
   * Runs work that grows with data (simulations, calendar expansion, charts): on worker
   * threads on Node, inline on Workers, where ranges are bounded to fit the CPU limit.
   */
  compute: Compute;
  /** Queues heavy reads so at most ANALYTICS_CONCURRENCY run at once on this instance. */
  heavyReads: LimitFunction;
};

export type Readiness = { noticesWarm: boolean };

/**
 * How long an instance trusts a key it has checked. Revoking a key clears this cache on the
 * instance that revoked it; other instances refuse the key within this time.
 */
export const PRINCIPAL_CACHE_MS = 1_000;

/**
 * Caches that outlive a request: built once per process on Node, and once per isolate on
 * Workers (where the rest of `Deps` is built per request), so they are worth their memory.
 */
export type InstanceCaches = {
  principals: Deps['principals'];
  accounts: AccountCache;
  /** The last read of live campaigns, compiled (a Workers isolate reads it once a second). */
  catalog: CatalogMemory;
  /** The Resend client and its rate gate, shared so the rate holds across requests and runs. */
  mailer: EmailTransport | null;
  heavyReads: LimitFunction;
};

export function createInstanceCaches(config: Config): InstanceCaches {
  return {
    principals: new LRUCache({ max: 10_000 }),
    accounts: createAccountCache({ max: config.noticeAccountsCached }),
    catalog: createCatalogMemory(),
    mailer: config.email.resend ? createResendTransport(config.email.resend) : null,
    heavyReads: pLimit(config.analyticsConcurrency),
  };
}

export function buildDeps(
  config: Config,
  db: Db,
  overrides: Partial<
    Pick<Deps, 'clock' | 'logger' | 'background' | 'detection' | 'compute' | 'readiness'>
  > & {
    caches?: InstanceCaches;
  } = {},
): Deps {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const caches = overrides.caches ?? createInstanceCaches(config);
  return {
    config,
    db,
    clock,
    logger,
    mailer: caches.mailer ?? createOutboxTransport(db),
    notices: {
      catalog: createNoticeCatalog(db, clock, caches.catalog),
      exposures: createExposureBuffer(db, logger),
      accounts: caches.accounts,
      accountLoader: createAccountLoader(db),
    },
    principals: caches.principals,
    readiness: overrides.readiness ?? { noticesWarm: true },
    background: overrides.background ?? (() => {}),
    detection: overrides.detection ?? inlineDetectionRunner,
    compute: overrides.compute ?? inlineCompute,
    heavyReads: caches.heavyReads,
  };
}
