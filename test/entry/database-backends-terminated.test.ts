import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { ENTRY_TEST_TIMEOUT_MS, type Started, start, stop } from '../helpers/start-entry';
import { createTestDatabase } from '../helpers/test-database';
import { ticket } from '../helpers/tickets';

const ADMIN_KEY = 'fst_backends_terminated_admin_key_0001';
const TERMINATIONS = 40;

// Postgres restarts, failovers and poolers end connections under a busy server: the process that
// answers every product app's notices must answer the queries caught in it with an error and
// carry on, not exit.
describe.runIf(process.env.TEST_DATABASE_URL)('the Node entry on Postgres', () => {
  it(
    'keeps serving when its database connections are terminated under load',
    async () => {
      const database = await createTestDatabase();
      const url = database.url ?? '';
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      let running: Started | undefined;
      try {
        running = await start({ DATABASE_URL: url, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'error' });
        const base = running.url;
        const ingest = (id: string) =>
          fetch(`${base}/v1/tickets`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              tickets: [ticket(id)],
            }),
          }).then(
            (response) => response.status,
            () => 0,
          );
        let stopLoad = false;
        const statuses: number[] = [];
        const load = Array.from({ length: 6 }, async (_, client) => {
          for (let i = 0; !stopLoad; i++) statuses.push(await ingest(`t-${client}-${i}`));
        });
        for (let i = 0; i < TERMINATIONS; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          await admin`
            select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()`;
        }
        stopLoad = true;
        await Promise.all(load);

        expect(running.child.exitCode, running.output()).toBeNull();
        // Requests caught in a terminated connection answer 503 (retry), the rest 200.
        expect(statuses.length).toBeGreaterThan(0);
        expect(new Set(statuses.filter((status) => status !== 200))).toEqual(
          new Set(statuses.some((status) => status !== 200) ? [503] : []),
        );
        // Once the terminations stop, requests succeed again within a few tries.
        let recovered = 0;
        for (let attempt = 0; attempt < 20 && recovered === 0; attempt++) {
          if ((await ingest(`after-${attempt}`)) === 200) recovered++;
          else await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(recovered, running.output()).toBe(1);
        expect(running.output()).not.toMatch(/TypeError|Unhandled|uncaught/i);
        expect(running.child.exitCode).toBeNull();
      } finally {
        if (running?.child.exitCode === null) await stop(running, 'SIGTERM');
        await admin.end();
        await database.close();
      }
    },
    ENTRY_TEST_TIMEOUT_MS,
  );
});
