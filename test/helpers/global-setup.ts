import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  dropStaleTestDatabases,
  preparePgliteSnapshot,
  preparePostgresTemplate,
} from './template-databases';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplate: string | null;
    pgliteSnapshotPath: string | null;
  }
}

/**
 * Runs once per `vitest run`: builds what `npm start` runs (the entry tests start it), and
 * migrates one template that every test file clones.
 */
export default async function setup(project: TestProject) {
  execFileSync('node_modules/.bin/tsx', ['src/build/build.ts'], { stdio: 'inherit' });
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (adminUrl) {
    await dropStaleTestDatabases(adminUrl);
    project.provide('postgresTemplate', await preparePostgresTemplate(adminUrl));
    project.provide('pgliteSnapshotPath', null);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'forestall-test-'));
  const snapshotPath = join(dir, 'migrated.tar');
  await writeFile(snapshotPath, await preparePgliteSnapshot());
  project.provide('postgresTemplate', null);
  project.provide('pgliteSnapshotPath', snapshotPath);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
