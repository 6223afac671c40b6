import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createApp } from '../../src/app';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import * as schema from '../../src/db/schema';
import { createLogger } from '../../src/logger';
import { createApiKey } from '../../src/modules/auth/api-keys.service';
import { createTestClock } from '../helpers/test-clock';
import { dropBenchDatabase, freshBenchDatabase } from './bench-database';

/**
 * npm run bench:report — the leaders' report over a year holding 1,000,000 tickets (50,000
 * accounts, 60 reasons) and 100 campaigns (90 measured against a 10% holdout over 3,000
 * exposed accounts each, 10 without a holdout, estimated observationally from a monthly event),
 * answered through the API, against the bare SQL it needs: the very statements the report sent,
 * captured from the database driver and replayed on their own in the same run. Target: under
 * 2x. BENCH_TICKETS and BENCH_CAMPAIGNS resize it.
 */

const TICKETS = Number(process.env.BENCH_TICKETS ?? 1_000_000);
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 100);
const ACCOUNTS = 50_000;
const REASONS = 60;
const NAME = 'forestall_bench_report';
const NOW = '2026-11-23T12:00:00Z';
const ROUNDS = 3;

async function seed(db: ReturnType<typeof drizzle>) {
  await db.execute(sql`
    insert into reasons (slug, label)
    select 'reason-' || n, 'Reason ' || n from generate_series(1, ${REASONS}) n`);
  await db.execute(sql`
    insert into accounts (id) select 'acct-' || n from generate_series(1, ${ACCOUNTS}) n`);
  // Skewed reasons (a few are most of the volume), two years up to NOW.
  await db.execute(sql`
    insert into tickets (source, external_id, account_id, raw_reason_key, reason_slug, created_at, resolved_at, is_recontact)
    select 'bench', 't-' || n, 'acct-' || (1 + (hashint8(n) & 2147483647) % ${ACCOUNTS}),
           'reason-' || r, 'reason-' || r,
           ${NOW}::timestamptz - (random() * 730) * interval '1 day',
           case when random() < 0.8 then ${NOW}::timestamptz - (random() * 700) * interval '1 day' end,
           random() < 0.06
    from (select n, 1 + floor(${REASONS} * power(random(), 2.5))::int as r
          from generate_series(1, ${TICKETS}) n) s`);
  await db.execute(sql`
    insert into reason_weeks (reason_slug, week, contacts)
    select reason_slug, date_trunc('week', created_at at time zone 'UTC')::date, count(*)
    from tickets group by 1, 2`);
  const [event] = await db
    .insert(schema.events)
    .values({
      id: '01900000-0000-7000-8000-00000000e001',
      kind: 'billing_run',
      title: 'Monthly billing run',
      startsAt: new Date('2024-11-01T00:00:00Z'),
      endsAt: new Date('2024-11-02T00:00:00Z'),
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
    })
    .returning();
  // Campaigns start every few days over the last year and run two weeks.
  await db.execute(sql`
    insert into campaigns (id, channels, title, body_markdown, body_html, severity, audience,
                           event_id, target_reasons, holdout_percent, published_at, starts_at,
                           ends_at, created_by)
    select ('01900000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, '["banner"]',
           'Campaign ' || n, '', '', 'info', '{"type":"all"}',
           case when n % 10 = 0 then ${event?.id ?? null}::uuid end,
           jsonb_build_array('reason-' || (1 + n % 8), 'reason-' || (1 + (n + 3) % 8)),
           case when n % 10 = 0 then 0 else 10 end,
           s, s, s + interval '14 days', 'bench'
    from (select n, ${NOW}::timestamptz - interval '380 days' + n * interval '3.5 days' as s
          from generate_series(1, ${CAMPAIGNS}) n) c`);
  await db.execute(sql`
    insert into exposures (campaign_id, account_id, "group", channel, first_at)
    select c.id, 'acct-' || (1 + (hashint8(k + c.n * 7919) & 2147483647) % ${ACCOUNTS}),
           case when c.holdout_percent > 0 and random() < 0.1 then 'holdout' else 'treated' end,
           'banner', c.starts_at + random() * interval '3 days'
    from (select id, holdout_percent, starts_at, row_number() over (order by id) as n from campaigns) c,
         generate_series(1, 3000) k
    on conflict do nothing`);
  await db.execute(sql`analyze`);
}

async function main() {
  const database = await freshBenchDatabase(NAME);
  const captured: { query: string; params: unknown[] }[] = [];
  let capturing = false;
  const client = postgres(database.url, { max: 4, onnotice: () => {} });
  const db = drizzle(client, {
    schema,
    logger: { logQuery: (query, params) => capturing && captured.push({ query, params }) },
  });
  try {
    const seeding = performance.now();
    await seed(db);
    console.log(
      `seeded ${TICKETS.toLocaleString('en')} tickets, ${CAMPAIGNS} campaigns in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
    );

    const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
    const clock = createTestClock(NOW);
    const deps = buildDeps(config, db as never, { clock, logger: createLogger('warn') });
    const app = createApp(deps);
    const { key } = await createApiKey(deps, { name: 'bench', role: 'analyst', createdBy: null });
    const path = '/v1/reports/prevented-contacts?from=2025-11-01&to=2026-11-22';
    const report = async (format = 'json') => {
      const response = await app.request(`${path}&format=${format}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      if (response.status !== 200)
        throw new Error(`report answered ${response.status}: ${await response.text()}`);
      return response.text();
    };

    capturing = true;
    const body = JSON.parse(await report());
    capturing = false;
    const replay = async () => {
      for (const { query, params } of captured) await client.unsafe(query, params as never[]);
    };

    const timings = {
      report: [] as number[],
      bare: [] as number[],
      csv: [] as number[],
      html: [] as number[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      let started = performance.now();
      await replay();
      timings.bare.push(performance.now() - started);
      started = performance.now();
      await report();
      timings.report.push(performance.now() - started);
      started = performance.now();
      await report('csv');
      timings.csv.push(performance.now() - started);
      started = performance.now();
      await report('html');
      timings.html.push(performance.now() - started);
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const measured = body.campaigns.filter((c: { prevented: unknown }) => c.prevented).length;
    console.log(
      `report period               ${body.from} to ${body.to}: ${body.totals.contacts.toLocaleString('en')} contacts, ${body.campaigns.length} campaigns (${measured} with an estimate)`,
    );
    console.log(
      `bare SQL (${captured.length} statements)    median ${median(timings.bare).toFixed(0)} ms  (rounds ${timings.bare.map((t) => t.toFixed(0)).join(' / ')})`,
    );
    console.log(
      `report (JSON, through API) median ${median(timings.report).toFixed(0)} ms  (rounds ${timings.report.map((t) => t.toFixed(0)).join(' / ')})`,
    );
    console.log(
      `ratio                       ${(median(timings.report) / median(timings.bare)).toFixed(2)}  (target < 2)`,
    );
    console.log(
      `CSV                         median ${median(timings.csv).toFixed(0)} ms;  HTML with charts median ${median(timings.html).toFixed(0)} ms`,
    );
  } finally {
    await client.end();
    await database.close();
    await dropBenchDatabase(NAME);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
