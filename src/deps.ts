import type { LRUCache } from 'lru-cache';
import type { LimitFunction } from 'p-limit';
import type { Config } from './config';
import type { Db } from './db/database';
import type { CampaignRow } from './db/schema';
import type { Clock } from './lib/clock';
import type { Logger } from './logger';
import type { RememberedKey } from './modules/auth/remembered-keys';
import type { EmailTransport } from './modules/email/transport/email-transport';
import type { AccountCache } from './modules/notices/account-cache';
import type { AccountLoader } from './modules/notices/account-loader';
import type { ExposureBuffer } from './modules/notices/exposure-buffer';
import type { NoticeCatalog } from './modules/notices/notice-catalog';
import type { DetectionRunner } from './modules/spikes/detection-job';
import type { Compute } from './threads/compute';

/**
 * Everything a route, service or job needs: the contract only. `composition-root.ts` builds
 * it, once per process (Node) or per request over per-isolate caches (Workers).
 */
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
   * Starts work a request does not wait for (it handles its own errors), outside the request's
   * transaction step. On Node it simply runs; Workers keep the request alive until it is done.
   */
  background: (task: () => Promise<void>) => void;
  /** Fits spike-detection models: worker threads on Node, inline on Workers (cron only). */
  detection: DetectionRunner;
  /**
   * What follows every change to a campaign, inside the transaction that made it (its emails
   * are planned again), told the campaign as it was before (null for a new one). Campaigns
   * call this one step; the composition root names what it is.
   */
  afterCampaignChange: CampaignFollowUp;
  /**
   * What follows every change to accounts (synced, replaced or deleted), inside the
   * transaction that made it: the email campaigns still to send plan those accounts again.
   */
  afterAccountsChange: AccountsFollowUp;
  /**
   * What follows a committed change to what spike detection reads (tickets, events, holidays,
   * aliases): stored verdicts are refreshed soon, off the request.
   */
  afterDetectionInputChange: (deps: Deps) => void;
  /**
   * Runs work that grows with data (simulations, calendar expansion, charts): on worker
   * threads on Node, inline on Workers, where ranges are bounded to fit the CPU limit.
   */
  compute: Compute;
  /** Queues heavy reads so at most ANALYTICS_CONCURRENCY run at once on this instance. */
  heavyReads: LimitFunction;
  /**
   * `fetch` for URLs users register (status webhooks). On Node it connects only to public
   * addresses it resolved itself; Workers' own `fetch` cannot reach a private network anyway.
   */
  webhookFetch: typeof fetch;
};

export type CampaignFollowUp = (
  deps: Deps,
  tx: Db,
  campaign: CampaignRow,
  before: CampaignRow | null,
) => Promise<void>;
/** `addresses`: those the accounts had before the change, and have after it. */
export type AccountsFollowUp = (
  deps: Deps,
  tx: Db,
  accountIds: string[],
  addresses: ChangedAddresses,
) => Promise<void>;

export type ChangedAddresses = { former: string[]; current: string[] };

export type Readiness = { noticesWarm: boolean };
