import { buildDeps } from '../composition-root';
import { ConfigError, loadConfigFromProcessEnv } from '../config';
import { openDatabase, redactUrl } from '../db/open-database';
import { prepareWorkspace } from '../prepare-workspace';

/** `npm run db:migrate`: what Workers deployments run before `wrangler deploy`. */
async function main(): Promise<void> {
  const config = loadConfigFromProcessEnv();
  const database = await openDatabase(config.databaseUrl, { poolMax: 2 });
  try {
    const bootstrap = await prepareWorkspace(buildDeps(config, database.db), database);
    console.log(`Migrated ${redactUrl(config.databaseUrl)}.`);
    if (bootstrap.created && bootstrap.source === 'generated') {
      console.log(`Created the first admin API key (shown once): ${bootstrap.key}`);
    }
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
