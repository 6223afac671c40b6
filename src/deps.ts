import type { Clock } from './clock';
import { systemClock } from './clock';
import type { Config } from './config';
import type { Db } from './db/database';
import type { Logger } from './logger';
import { createLogger } from './logger';
import { createExposureBuffer, type ExposureBuffer } from './modules/notices/exposure-buffer';
import { createNoticeCatalog, type NoticeCatalog } from './modules/notices/notice-catalog';

/** Everything a route, service or job needs, built once per process (Node) or per request (Workers). */
export type Deps = {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Per-instance state of the notices hot path: the compiled campaigns and unwritten exposures. */
  notices: { catalog: NoticeCatalog; exposures: ExposureBuffer };
};

export function buildDeps(
  config: Config,
  db: Db,
  overrides: Partial<Pick<Deps, 'clock' | 'logger'>> = {},
): Deps {
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  return {
    config,
    db,
    clock,
    logger,
    notices: {
      catalog: createNoticeCatalog(db, clock),
      exposures: createExposureBuffer(db, logger),
    },
  };
}
