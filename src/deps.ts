import type { Clock } from './clock';
import { systemClock } from './clock';
import type { Config } from './config';
import type { Db } from './db/database';
import type { Logger } from './logger';
import { createLogger } from './logger';

/** Everything a route, service or job needs, built once per process (Node) or per request (Workers). */
export type Deps = {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
};

export function buildDeps(
  config: Config,
  db: Db,
  overrides: Partial<Pick<Deps, 'clock' | 'logger'>> = {},
): Deps {
  return {
    config,
    db,
    clock: overrides.clock ?? systemClock,
    logger: overrides.logger ?? createLogger(config.logLevel),
  };
}
