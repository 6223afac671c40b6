import uniformRandom from '@stdlib/random-base-uniform';
import { sql } from 'drizzle-orm';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { jsonParam, rowsOf } from '../../src/db/json-param';
import { createLogger } from '../../src/logger';
import { createApiKey } from '../../src/modules/auth/api-keys.service';
import { measureAndStore } from '../../src/modules/impact/stored-measurements';
import { rebuildRollup } from '../../src/modules/reasons/reason-weeks-rollup';
import { apiCaller, idleLatency, lightCalls, probeLight, startAppServer } from './app-server';
import { dropBenchDatabase, freshBenchDatabase, keptBenchDatabase } from './bench-database';
import { simulateWorkspace } from './support-data';

/**
 * npm run bench:impact-route — what users call for campaigns without a holdout, whose
 * estimate is observational (a local-level model averaged over its pace and over recent
 * level shifts, on a compute thread), over HTTP with the app in its own process as
 * `npm start` runs it. The workspace: ~3 years of weekly tickets over 60 reasons from the
 * support-data generator (seasonality, trend, level breaks, holidays, a monthly billing run,
 * spikes), drawn by BENCH_SEED (1 by default), and 20 published campaigns without a holdout
 * in the last 16 weeks, two target reasons each, half linked to the monthly billing run,
 * 2,000 exposed accounts each. Nothing is stored for them (the measure-campaigns job does not
 * run in the bench's server), so both calls compute:
 *   - `GET /v1/campaigns/{id}/impact` of one campaign with 3 years of history, target within
 *     3x a bare `GROUP BY reason, week` over the same tickets (the query a user's own analysis
 *     starts with), timed beside each call so both meet the same load;
 *   - the leaders' report (JSON) over the period holding the 20 campaigns, target within 5x.
 * Then the report again once the job has stored every measurement (printed, not judged), the
 * request thread's CPU per call, and `GET /health` and the notices API while the computing
 * calls ran, against idle. BENCH_ROUNDS (5) rounds; medians. BENCH_KEEP_DATABASE=1 keeps the
 * seeded database for the next run, which reuses it as seeded (dated as of that day).
 */

const SEED = Number(process.env.BENCH_SEED ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const KEEP = process.env.BENCH_KEEP_DATABASE === '1';
const NAME = `forestall_bench_impact_route_s${SEED}`;
const CAMPAIGNS = 20;
const EXPOSED_PER_CAMPAIGN = 2_000;
const ACCOUNTS = 20_000;
/** Weeks of tickets kept: 156 of history before the earliest campaign, and the 16 since. */
const KEPT_WEEKS = 172;
const IMPACT_TARGET = 3;
const REPORT_TARGET = 5;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Where the generator's week 0 starts (support-data.ts). */
const SIMULATION_START = Date.UTC(2022, 0, 3);
/** The generator's day-of-week profile, Monday first: how a week's contacts fall on its days. */
const WEEKDAY_WEIGHTS = [1.3, 1.25, 1.15, 1.1, 0.95, 0.15, 0.1];

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const percentile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ??
  0;
const rounds = (values: number[]) => values.map((t) => t.toFixed(0)).join(' / ');

type Database = Awaited<ReturnType<typeof freshBenchDatabase>>;

/**
 * The generator's weekly counts, from its start to the week holding `now`, as tickets: the
 * last KEPT_WEEKS weeks, each week's contacts spread over its days by the day-of-week profile
 * (seeded) and over the day's hours, none after `now`.
 */
async function seedTickets(database: Database, now: Date) {
  const thisMonday =
    SIMULATION_START + Math.floor((now.getTime() - SIMULATION_START) / WEEK_MS) * WEEK_MS;
  const weeksToNow = (thisMonday - SIMULATION_START) / WEEK_MS + 1;
  const workspace = simulateWorkspace({ seed: SEED, years: (weeksToNow + 1) / 52.1775 });
  const firstWeek = weeksToNow - KEPT_WEEKS;
  const u = uniformRandom.factory(0, 1, { seed: SEED + 101 });
  const total = WEEKDAY_WEIGHTS.reduce((a, b) => a + b, 0);
  const cumulative = WEEKDAY_WEIGHTS.map(
    (_, i) => WEEKDAY_WEIGHTS.slice(0, i + 1).reduce((a, b) => a + b, 0) / total,
  );
  const days: { reason: string; day: string; contacts: number }[] = [];
  for (const reason of workspace.reasons) {
    for (let w = firstWeek; w < weeksToNow; w++) {
      const perDay = [0, 0, 0, 0, 0, 0, 0];
      for (let c = 0; c < (reason.counts[w] ?? 0); c++) {
        const draw = u();
        const day = cumulative.findIndex((share) => draw < share);
        perDay[day < 0 ? 6 : day] = (perDay[day < 0 ? 6 : day] ?? 0) + 1;
      }
      perDay.forEach((contacts, d) => {
        if (contacts === 0) return;
        const day = new Date(SIMULATION_START + w * WEEK_MS + d * DAY_MS)
          .toISOString()
          .slice(0, 10);
        days.push({ reason: reason.reason, day, contacts });
      });
    }
  }
  await database.db.execute(sql`
    insert into reasons (slug, label)
    select r, initcap(replace(r, '-', ' ')) from jsonb_array_elements_text(${jsonParam(
      workspace.reasons.map((r) => r.reason),
    )}) r`);
  await database.db.execute(sql`
    insert into accounts (id) select 'acct-' || n from generate_series(1, ${ACCOUNTS}) n`);
  // One statement per chunk of days, so no statement meets the server's statement timeout.
  for (let i = 0; i < days.length; i += 5_000) {
    await database.db.execute(sql`
      insert into tickets (source, external_id, account_id, raw_reason_key, reason_slug,
                           created_at, resolved_at)
      select 'bench', d.reason || '/' || d.day || '/' || k,
             'acct-' || (1 + (hashint8(hashtext(d.reason || d.day)::bigint + k) & 2147483647) % ${ACCOUNTS}),
             d.reason, d.reason, t.created_at,
             case when (hashint8(k * 31 + hashtext(d.day::text)::bigint) & 7) < 6
                  then t.created_at + interval '5 hours' end
      from json_to_recordset(${JSON.stringify(days.slice(i, i + 5_000))}::json)
             as d(reason text, day date, contacts int),
           generate_series(1, d.contacts) k,
           lateral (select d.day::timestamptz
                      + ((hashint8(hashtext(d.reason || d.day)::bigint * 7919 + k) & 2147483647) % 86400)
                        * interval '1 second' as created_at) t
      where t.created_at <= ${now.toISOString()}::timestamptz`);
  }
  await rebuildRollup(database.db, 'UTC');
}

/**
 * CAMPAIGNS published campaigns without a holdout, started over the last 16 weeks for two
 * weeks each, two target reasons each (among the busier ones), every other one linked to the
 * monthly billing run; EXPOSED_PER_CAMPAIGN accounts shown each in its first three days.
 */
async function seedCampaigns(database: Database, now: Date) {
  const targets = rowsOf<{ slug: string }>(
    await database.db.execute(sql`
      select reason_slug as slug from reason_weeks group by 1 order by sum(contacts) desc limit 30`),
  ).map((r) => r.slug);
  await database.db.execute(sql`
    insert into events (id, kind, title, starts_at, ends_at, rrule)
    values ('01900000-0000-7000-8000-00000000e001', 'billing_run', 'Monthly billing run',
            '2022-01-01T00:00:00Z', '2022-01-02T00:00:00Z', 'FREQ=MONTHLY;BYMONTHDAY=1')`);
  const rows = Array.from({ length: CAMPAIGNS }, (_, i) => {
    const startsAt = new Date(now.getTime() - (112 - i * 5.3) * DAY_MS);
    return {
      id: `01900000-0000-7000-8000-${(i + 1).toString(16).padStart(12, '0')}`,
      title: `Heads-up ${i + 1}`,
      starts_at: startsAt.toISOString(),
      ends_at: new Date(startsAt.getTime() + 14 * DAY_MS).toISOString(),
      targets: [targets[i % targets.length], targets[(i * 7 + 3) % targets.length]],
      event: i % 2 === 0 ? '01900000-0000-7000-8000-00000000e001' : null,
    };
  });
  await database.db.execute(sql`
    insert into campaigns (id, channels, title, body_markdown, body_html, severity, audience,
                           event_id, target_reasons, holdout_percent, published_at, starts_at,
                           ends_at, created_by)
    select c.id, '["banner"]', c.title, '', '', 'info', '{"type":"all"}', c.event,
           c.targets, 0, c.starts_at, c.starts_at, c.ends_at, 'bench'
    from jsonb_to_recordset(${jsonParam(rows)})
      as c(id uuid, title text, starts_at timestamptz, ends_at timestamptz, targets jsonb,
           event uuid)`);
  await database.db.execute(sql`
    insert into exposures (campaign_id, account_id, "group", channel, first_at)
    select c.id, 'acct-' || (1 + (hashint8(k + c.n * 7919) & 2147483647) % ${ACCOUNTS}),
           'treated', 'banner',
           c.starts_at + ((hashint8(k * 13 + c.n) & 2147483647) % 259200) * interval '1 second'
    from (select id, starts_at, row_number() over (order by id) as n from campaigns) c,
         generate_series(1, ${EXPOSED_PER_CAMPAIGN}) k
    on conflict do nothing`);
  await database.db.execute(sql`analyze`);
}

async function seededDatabase(now: Date): Promise<Database> {
  if (KEEP) {
    const kept = await keptBenchDatabase(NAME);
    // A run that stopped while seeding leaves no exposures: seed afresh then.
    const [seeded] = kept
      ? rowsOf<{ done: boolean }>(
          await kept.db.execute(sql`select exists (select 1 from exposures) as done`),
        )
      : [];
    if (kept && seeded?.done) {
      await kept.db.execute(sql`delete from campaign_measurements`);
      return kept;
    }
    await kept?.close();
  }
  const database = await freshBenchDatabase(NAME);
  const started = performance.now();
  await seedTickets(database, now);
  await seedCampaigns(database, now);
  console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return database;
}

const now = new Date();
const database = await seededDatabase(now);
const deps = buildDeps(loadConfig({ DATABASE_URL: database.url }), database.db, {
  logger: createLogger('warn'),
});
const analystKey = (
  await createApiKey(deps, { name: 'bench analyst', role: 'analyst', createdBy: null })
).key;
const adminKey = (await createApiKey(deps, { name: 'bench admin', role: 'admin', createdBy: null }))
  .key;
const appKey = (await createApiKey(deps, { name: 'bench app', role: 'app', createdBy: null })).key;
const server = await startAppServer('forestall', database.url);

try {
  const call = apiCaller(server.base, analystKey);
  await call(
    '/v1/accounts/bench-account',
    { method: 'PUT', body: JSON.stringify({ plan: 'pro' }) },
    adminKey,
  );

  const [span] = rowsOf<{ tickets: number; reasons: number; first: string; last: string }>(
    await database.db.execute(sql`
      select count(*)::int as tickets, count(distinct reason_slug)::int as reasons,
             min(created_at)::date::text as first, max(created_at)::date::text as last
      from tickets`),
  );
  const campaignRows = rowsOf<{ id: string; starts_at: string }>(
    await database.db.execute(sql`
      select id::text, starts_at::date::text as starts_at from campaigns order by starts_at`),
  );
  const from = campaignRows[0]?.starts_at ?? '';
  const to = now.toISOString().slice(0, 10);
  const reportPath = `/v1/reports/prevented-contacts?from=${from}&to=${to}&format=json`;

  // Which campaigns the estimator answers: the timed one must be answered, not refused.
  type Impact = { observational?: { status: string; reason?: string; fit?: { weeks: number } } };
  const answers = new Map<string, Impact>();
  for (const { id } of campaignRows) {
    answers.set(id, JSON.parse(await call(`/v1/campaigns/${id}/impact`)) as Impact);
  }
  const answered = [...answers].filter(([, a]) => a.observational?.status === 'ok');
  // The earliest answered one: a full window, and 156 weeks of history before it.
  const [timedId, timedAnswer] = answered[0] ?? [];
  if (!timedId) {
    const reasons = [...answers.values()].map((a) => a.observational?.reason).join('; ');
    throw new Error(`the estimator answered none of the campaigns: ${reasons}`);
  }
  const impactPath = `/v1/campaigns/${timedId}/impact`;

  const groupByTickets = async () => {
    const started = performance.now();
    await database.db.execute(sql`
      select reason_slug, date_trunc('week', created_at at time zone 'UTC') as week, count(*)
      from tickets group by 1, 2`);
    return performance.now() - started;
  };
  const timedCall = async (path: string) => {
    const started = performance.now();
    await call(path);
    return performance.now() - started;
  };

  // Latency of the light calls, idle and while the computing calls run.
  const light = lightCalls(server.base, appKey);
  const idle = await idleLatency(light);
  const busy = probeLight(light);

  const timings = { groupBy: [] as number[], impact: [] as number[], report: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Each call between two GROUP BYs of its own, so both meet the same load.
      timings.groupBy.push(await groupByTickets());
      timings.impact.push(await timedCall(impactPath));
      timings.groupBy.push(await groupByTickets());
      timings.report.push(await timedCall(reportPath));
    }
    timings.groupBy.push(await groupByTickets());
  } finally {
    await busy.stop();
  }

  // Timed above was the computing path: nothing stored that the report could have read.
  const [storedRows] = rowsOf<{ n: number }>(
    await database.db.execute(sql`select count(*)::int as n from campaign_measurements`),
  );
  if (storedRows?.n) throw new Error(`${storedRows.n} measurements were stored during the rounds`);

  // The request thread's share, one call at a time (CPU from /proc, 10 ms resolution).
  const cpuOf = async (path: string, times: number) => {
    const main = server.mainThreadCpuMillis();
    const all = server.cpuMillis();
    for (let i = 0; i < times; i++) await call(path);
    return {
      main: (server.mainThreadCpuMillis() - main) / times,
      all: (server.cpuMillis() - all) / times,
    };
  };
  const impactCpu = await cpuOf(impactPath, 5);
  const reportCpu = await cpuOf(reportPath, 2);

  // The stored path: what the measure-campaigns job keeps, read by the report.
  const storing = performance.now();
  await measureAndStore(deps, new Date());
  const storeMs = performance.now() - storing;
  const stored: number[] = [];
  for (let round = 0; round < ROUNDS; round++) stored.push(await timedCall(reportPath));
  const report = JSON.parse(await call(reportPath)) as { campaigns: unknown[] };

  const groupBy = median(timings.groupBy);
  const line = (label: string, values: number[], target: number) => {
    const ratio = median(values) / groupBy;
    return (
      `${ratio <= target ? 'met    ' : 'NOT MET'} ${label}: median ${median(values).toFixed(0)} ms ` +
      `(rounds ${rounds(values)}), ${ratio.toFixed(2)}x GROUP BY (target <= ${target}x)`
    );
  };
  console.log(
    `bench:impact-route (seed ${SEED}): ${span?.tickets.toLocaleString('en')} tickets over ` +
      `${span?.reasons} reasons, ${span?.first} … ${span?.last}; ${CAMPAIGNS} campaigns without ` +
      `a holdout, ${answered.length} answered by the estimator (the others: insufficient data); ` +
      `over HTTP, ${ROUNDS} rounds, medians`,
  );
  console.log(
    `bare GROUP BY reason, week over the tickets, beside each call: median ${groupBy.toFixed(0)} ms ` +
      `(${rounds(timings.groupBy)})`,
  );
  console.log(
    line(
      `GET /v1/campaigns/{id}/impact, computed (${timedAnswer?.observational?.fit?.weeks} weeks of history)`,
      timings.impact,
      IMPACT_TARGET,
    ),
  );
  console.log(
    line(
      `leaders' report, JSON, ${from} … ${to} (${report.campaigns.length} campaigns), computed`,
      timings.report,
      REPORT_TARGET,
    ),
  );
  console.log(
    `leaders' report from stored measurements (the job took ${(storeMs / 1000).toFixed(1)} s in ` +
      `the bench's process): median ${median(stored).toFixed(0)} ms (rounds ${rounds(stored)}), ` +
      `${(median(stored) / groupBy).toFixed(2)}x GROUP BY (not judged)`,
  );
  console.log(
    `server CPU per call, one at a time: impact ${impactCpu.all.toFixed(0)} ms (request thread ` +
      `${impactCpu.main.toFixed(0)} ms); report ${reportCpu.all.toFixed(0)} ms (request thread ` +
      `${reportCpu.main.toFixed(0)} ms)`,
  );
  for (const name of ['health', 'notices'] as const) {
    const samples = busy.samples[name];
    console.log(
      `${name === 'health' ? 'GET /health' : 'GET /v1/accounts/{id}/notices'} while those ran: ` +
        `p50 ${median(samples).toFixed(1)} ms, p99 ${percentile(samples, 0.99).toFixed(1)} ms, ` +
        `max ${Math.max(...samples).toFixed(1)} ms (${samples.length} calls); idle p50 ` +
        `${median(idle[name]).toFixed(1)} ms, p99 ${percentile(idle[name], 0.99).toFixed(1)} ms`,
    );
  }
} finally {
  await server.stop();
  await database.close();
  if (!KEEP) await dropBenchDatabase(NAME);
}
