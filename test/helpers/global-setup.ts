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
    /** One seed for every fuzz file of a run, so one number replays the run. */
    fuzzSeed: number;
  }
}

/**
 * Runs once per `vitest run`: builds what `npm start` runs (the entry tests start it), and
 * migrates one template that every test file clones.
 */
export default async function setup(project: TestProject) {
  execFileSync('node_modules/.bin/tsx', ['src/build/build.ts'], { stdio: 'inherit' });
  const started = performance.now();
  const adminUrl = process.env.TEST_DATABASE_URL;
  project.provide('fuzzSeed', Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31)));
  // The suite's own duration, whatever reporter runs it: CI logs show how long it took where.
  const printDuration = () => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    console.log(`forestall test suite: ${seconds} s on ${adminUrl ? 'Postgres' : 'PGlite'}`);
  };
  if (adminUrl) {
    await dropStaleTestDatabases(adminUrl);
    project.provide('postgresTemplate', await preparePostgresTemplate(adminUrl));
    project.provide('pgliteSnapshotPath', null);
    return printDuration;
  }
  const dir = await mkdtemp(join(tmpdir(), 'forestall-test-'));
  const snapshotPath = join(dir, 'migrated.tar');
  await writeFile(snapshotPath, await preparePgliteSnapshot());
  project.provide('postgresTemplate', null);
  project.provide('pgliteSnapshotPath', snapshotPath);
  return async () => {
    await rm(dir, { recursive: true, force: true });
    printDuration();
  };
}
