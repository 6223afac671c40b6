import { LRUCache } from 'lru-cache';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Config } from './config';
import type { Db } from './db/database';
import { outsideTransactionStep } from './db/transaction-step';
import type { Deps } from './deps';
import { systemClock } from './lib/clock';
import { hostCheckedFetch } from './lib/webhook-address';
import { createLogger } from './logger';
import { followAccountsChange } from './modules/email/delivery/accounts-follow-up';
import { followCampaignChange } from './modules/email/delivery/delivery-plan.service';
import type { EmailTransport } from './modules/email/transport/email-transport';
import { createOutboxTransport } from './modules/email/transport/outbox-transport';
import { createResendTransport } from './modules/email/transport/resend-transport';
import { type AccountCache, createAccountCache } from './modules/notices/account-cache';
import { createAccountLoader } from './modules/notices/account-loader';
import { createExposureBuffer } from './modules/notices/exposure-buffer';
import {
  type CatalogMemory,
  createCatalogMemory,
  createNoticeCatalog,
} from './modules/notices/notice-catalog';
import { inlineDetectionRunner } from './modules/spikes/detection-job';
import { refreshSoon } from './modules/spikes/refresh-verdicts';
import { inlineCompute } from './threads/compute';

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
    accounts: createAccountCache({ maxBytes: config.noticeAccountsCacheBytes }),
    catalog: createCatalogMemory(),
    mailer: config.email.resend ? createResendTransport(config.email.resend) : null,
    heavyReads: pLimit(config.analyticsConcurrency),
  };
}

/** The one place that decides which implementation stands behind each part of `Deps`. */
export function buildDeps(
  config: Config,
  db: Db,
  overrides: Partial<
    Pick<Deps, 'clock' | 'logger' | 'detection' | 'compute' | 'readiness' | 'webhookFetch'>
  > & {
    caches?: InstanceCaches;
    /** Given each background task once it runs, to keep the request (Workers) or a test alive. */
    keepAlive?: (running: Promise<void>) => void;
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
    background: (task) => {
      const running = outsideTransactionStep(task);
      overrides.keepAlive?.(running);
    },
    detection: overrides.detection ?? inlineDetectionRunner,
    compute: overrides.compute ?? inlineCompute,
    heavyReads: caches.heavyReads,
    afterCampaignChange: followCampaignChange,
    afterAccountsChange: followAccountsChange,
    afterDetectionInputChange: refreshSoon,
    // Node's entry passes one that also checks what names resolve to; Workers cannot resolve.
    webhookFetch: overrides.webhookFetch ?? hostCheckedFetch(config.webhooksAllowLoopback),
  };
}
