import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { dropStaleTestDatabases } from '../helpers/template-databases';

const adminUrl = process.env.TEST_DATABASE_URL ?? '';
// Above Linux's largest pid (2^22): no process can have it.
const ENDED_PID = 99_999_999;

/**
 * A second test run on the machine (a developer's beside CI) clears what ended runs left,
 * before it starts; it must not drop a database a running run has between two connections.
 */
describe.runIf(adminUrl)('clearing stale test databases', () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const running = `forestall_test_${process.pid}_idle`;
  const ended = `forestall_test_${ENDED_PID}_left`;
  const exists = async (name: string) =>
    (await admin`select 1 from pg_database where datname = ${name}`).length === 1;
  afterAll(async () => {
    for (const name of [running, ended]) {
      await admin.unsafe(`drop database if exists "${name}"`);
    }
    await admin.end();
  });

  it("drops an ended run's database and keeps a running one's, though nothing is connected", async () => {
    for (const name of [running, ended]) await admin.unsafe(`create database "${name}"`);
    await dropStaleTestDatabases(adminUrl);
    expect(await exists(ended)).toBe(false);
    expect(await exists(running)).toBe(true);
  });
});
