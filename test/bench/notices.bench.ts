import uniform from '@stdlib/random-base-uniform';
import autocannon from 'autocannon';
import { loadConfig } from '../../src/config';
import { buildDeps } from '../../src/deps';
import { createLogger } from '../../src/logger';
import { upsertAccounts } from '../../src/modules/accounts/accounts.service';
import { createApiKey } from '../../src/modules/auth/api-keys.service';
import type { CampaignCreate } from '../../src/modules/campaigns/campaign-input';
import { createCampaign } from '../../src/modules/campaigns/campaigns.service';
import { startAppServer } from './app-server';
import { dropBenchDatabase, freshBenchDatabase } from './bench-database';

/**
 * npm run bench:notices — GET /v1/accounts/{id}/notices for random accounts out of 100,000,
 * with 200 active campaigns of mixed audience rules, at 64 connections against Postgres;
 * throughput as a ratio to a bare Hono JSON route served the same way in the same run, with
 * p50/p99 latency, for cache misses (a full 200 answer) and for If-None-Match hits (304);
 * each server's CPU time per request; peak RSS of the server. First every account asks
 * once, in random order, which computes its answer and records its exposures (printed as
 * the first view); then misses and hits, each right after the bare route given the same
 * requests, take turns for BENCH_ROUNDS rounds, and the ratios are the rounds' medians, since
 * the load generator shares this machine's two cores with the server and Postgres.
 * BENCH_ACCOUNTS, BENCH_CAMPAIGNS, BENCH_SECONDS and BENCH_ROUNDS resize it.
 */

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 64;
const DATABASE = 'forestall_bench_notices';

const random = uniform.factory(0, 1, { seed: 17 });
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
const REGIONS = ['us-east', 'us-west', 'eu-west', 'eu-central', 'ap-south'] as const;
const COMPONENTS = [
  'API',
  'Dashboard',
  'Billing',
  'Webhooks',
  'Mobile',
  'Reports',
  'SSO',
  'Exports',
];
const LOCALES = ['en', 'fr', 'de', 'es', 'ja'] as const;
const accountId = (i: number) => `acct-${i}`;

function accountRows() {
  return Array.from({ length: ACCOUNTS }, (_, i) => ({
    id: accountId(i),
    plan: pick(PLANS),
    region: pick(REGIONS),
    components: COMPONENTS.filter(() => random() < 0.35),
    locale: pick(LOCALES),
    time_zone: null,
    attributes: {
      seats: Math.floor(random() * 500),
      beta: random() < 0.1,
      ...(random() < 0.1 ? { sso: 'okta' } : {}),
    },
    contacts: [],
  }));
}

/**
 * What a busy workspace has live at once, by default: two announcements for everyone, outage
 * and maintenance banners for the users of a component in one region, plan and region
 * notices (price changes, billing), beta and SSO programmes, and account-aware messages for
 * lists of accounts; an account matches about a dozen. BENCH_MIX=broad is the mix of earlier
 * runs, where a fifth of all campaigns go to everyone and an account matches about a hundred.
 */
const BETA = { attribute: 'attributes.beta', op: 'eq', value: true } as const;
const someAccounts = (count: number) =>
  Array.from({ length: count }, () => accountId(Math.floor(random() * ACCOUNTS)));

function audience(i: number): CampaignCreate['audience'] {
  return process.env.BENCH_MIX === 'broad' ? broadAudience(i) : focusedAudience(i);
}

function focusedAudience(i: number): CampaignCreate['audience'] {
  if (i % 100 === 0) return { type: 'all' };
  switch (i % 10) {
    case 1:
    case 2:
    case 3:
      return {
        type: 'rule',
        all: [
          { attribute: 'components', op: 'contains', value: pick(COMPONENTS) },
          { attribute: 'region', op: 'eq', value: pick(REGIONS) },
        ],
      };
    case 4:
    case 5:
      return {
        type: 'rule',
        all: [
          { attribute: 'plan', op: 'eq', value: pick(PLANS) },
          { attribute: 'region', op: 'in', value: [pick(REGIONS)] },
        ],
      };
    case 6:
      return {
        type: 'rule',
        all: [
          { attribute: 'region', op: 'eq', value: pick(REGIONS) },
          { any: [BETA, { attribute: 'plan', op: 'in', value: ['enterprise'] }] },
        ],
      };
    case 7:
    case 8:
      return {
        type: 'accounts',
        account_ids: someAccounts(500),
      };
    case 9:
      return { type: 'rule', all: [BETA] };
    default:
      return { type: 'rule', all: [{ attribute: 'attributes.sso', op: 'exists' }] };
  }
}

function broadAudience(i: number): CampaignCreate['audience'] {
  switch (i % 10) {
    case 0:
    case 1:
      return { type: 'all' };
    case 2:
    case 3:
    case 4:
      return {
        type: 'rule',
        any: [{ attribute: 'components', op: 'contains', value: pick(COMPONENTS) }],
      };
    case 5:
    case 6:
      return { type: 'rule', all: [{ attribute: 'plan', op: 'in', value: ['pro', 'enterprise'] }] };
    case 7:
      return {
        type: 'rule',
        all: [
          { attribute: 'region', op: 'eq', value: pick(REGIONS) },
          { any: [BETA, { attribute: 'plan', op: 'not_in', value: ['free'] }] },
        ],
      };
    case 8:
      return {
        type: 'accounts',
        account_ids: someAccounts(200),
      };
    default:
      return { type: 'rule', all: [{ attribute: 'attributes.seats', op: 'exists' }] };
  }
}

async function seed() {
  const database = await freshBenchDatabase(DATABASE);
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
  const deps = buildDeps(config, database.db, { logger: createLogger('warn') });
  const rows = accountRows();
  for (let i = 0; i < rows.length; i += 5_000) await upsertAccounts(deps, rows.slice(i, i + 5_000));
  for (let i = 0; i < CAMPAIGNS; i++) {
    await createCampaign(
      deps,
      {
        channels: ['banner'],
        title: `Notice ${i}`,
        body: `Something **${i}** customers should know. [Read more](https://example.com/${i})`,
        severity: pick(['info', 'warning', 'critical', 'maintenance'] as const),
        cta: null,
        locales: i % 3 === 0 ? { fr: { title: `Avis ${i}`, body: `Quelque chose ${i}.` } } : {},
        starts_at: null,
        ends_at: null,
        audience: audience(i),
        event_id: null,
        target_reasons: [],
        holdout_percent: pick([0, 0, 5, 10, 20]),
        publish: true,
      },
      'bench',
    );
  }
  const { key } = await createApiKey(deps, { name: 'bench app', role: 'app', createdBy: null });
  await database.close();
  return { url: database.url, key };
}

type Run = {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  statuses: string;
  /** The server's own CPU time per request, in µs. */
  cpu: number;
};
type Server = Awaited<ReturnType<typeof startAppServer>>;
type Request = { path: string; headers: Record<string, string> };

/**
 * Autocannon at 64 connections, for BENCH_SECONDS or for `amount` requests. `onResponse`
 * gets what `nextRequest` sent along with each answer (a connection has one request out).
 */
async function load(
  server: Server,
  nextRequest: () => Request & { id?: number },
  options: {
    amount?: number;
    onResponse?: (id: number, body: string, headers: Record<string, string>) => void;
  } = {},
): Promise<Run> {
  const { amount, onResponse } = options;
  const cpuBefore = server.cpuMillis();
  const result = await autocannon({
    url: server.base,
    connections: CONNECTIONS,
    ...(amount ? { amount } : { duration: SECONDS }),
    requests: [
      {
        method: 'GET',
        setupRequest: (request, context) => {
          const next = nextRequest();
          (context as { id?: number }).id = next.id;
          return { ...request, path: next.path, headers: next.headers };
        },
        ...(onResponse
          ? {
              onResponse: (_status, body, context, headers) =>
                onResponse((context as { id: number }).id, body, headers as Record<string, string>),
            }
          : {}),
      },
    ],
  });
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .map(([code, { count }]) => `${code}×${count}`)
    .join(' ');
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    statuses,
    cpu: ((server.cpuMillis() - cpuBefore) * 1000) / result.requests.total,
  };
}

const show = (label: string, run: Run, baseline?: Run) =>
  console.log(
    `${label.padEnd(34)} ${run.rps.toFixed(0).padStart(7)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms` +
      `  cpu ${run.cpu.toFixed(0)} µs/req` +
      `${baseline ? `  ratio ${(run.rps / baseline.rps).toFixed(2)}` : ''}  [${run.statuses}]`,
  );
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

console.log(`Seeding ${ACCOUNTS} accounts and ${CAMPAIGNS} active campaigns…`);
const seeded = await seed();
const randomAccount = () => Math.floor(random() * ACCOUNTS);
const noticesPath = (i: number) => `/v1/accounts/${accountId(i)}/notices`;
const auth = { authorization: `Bearer ${seeded.key}` };

const bare = await startAppServer('bare');
const app = await startAppServer('forestall', seeded.url);

console.log(
  `\n${CONNECTIONS} connections, ${SECONDS} s per run, ${process.env.BENCH_MIX ?? 'focused'} mix`,
);

// Every account asks once, in random order; its ETag is kept for the If-None-Match runs.
const order = Array.from({ length: ACCOUNTS }, (_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [order[i], order[j]] = [order[j] as number, order[i] as number];
}
const etags: string[] = [];
let asked = 0;
let noticesShown = 0;
let bytes = 0;
const firstRun = await load(
  app,
  () => {
    const id = order[asked++ % ACCOUNTS] as number;
    return { id, path: noticesPath(id), headers: auth };
  },
  {
    amount: ACCOUNTS,
    onResponse: (id, body, headers) => {
      etags[id] = headers.etag ?? headers.ETag ?? '';
      bytes += body.length;
      noticesShown += (JSON.parse(body) as { notices: unknown[] }).notices.length;
    },
  },
);
console.log(
  `an answer shows ${(noticesShown / ACCOUNTS).toFixed(1)} notices on average ` +
    `(${(bytes / ACCOUNTS / 1024).toFixed(1)} KB)`,
);
show('notices, first view of each account', firstRun);

const missRequest = () => ({ path: noticesPath(randomAccount()), headers: auth });
const hitRequest = () => {
  const id = randomAccount();
  return { path: noticesPath(id), headers: { ...auth, 'if-none-match': etags[id] ?? '' } };
};
// The bare route gets the very requests forestall gets, so the load generator does the same
// work for both and the ratio compares the servers alone.
const kinds = [
  { label: 'cache miss (200)', request: missRequest, status: '200' },
  { label: 'If-None-Match hit (304)', request: hitRequest, status: '304' },
] as const;
await load(bare, missRequest); // warm-up, as the first view was for forestall
const ratios = kinds.map(() => [] as number[]);
const cpuRatios = kinds.map(() => [] as number[]);
let worstMissP99 = 0;
let allAnswered = firstRun.statuses === `200×${firstRun.requests}`;
for (let round = 1; round <= ROUNDS; round++) {
  console.log(`round ${round}`);
  for (const [k, kind] of kinds.entries()) {
    const bareRun = await load(bare, kind.request);
    const run = await load(app, kind.request);
    show('  bare Hono JSON route', bareRun);
    show(`  notices, ${kind.label}`, run, bareRun);
    ratios[k]?.push(run.rps / bareRun.rps);
    cpuRatios[k]?.push(bareRun.cpu / run.cpu);
    if (kind.status === '200') worstMissP99 = Math.max(worstMissP99, run.p99);
    allAnswered &&= run.statuses === `${kind.status}×${run.requests}`;
  }
}
await bare.stop();
const rss = await app.stop();
await dropBenchDatabase(DATABASE);

const [missRatio = 0, hitRatio = 0] = ratios.map(median);
console.log(`peak RSS of the forestall server: ${rss.toFixed(0)} MB`);
const targets = [
  [`cache-miss ratio >= 0.5 (median ${missRatio.toFixed(2)})`, missRatio >= 0.5],
  [`p99 < 20 ms on misses (worst round ${worstMissP99} ms)`, worstMissP99 < 20],
  [`If-None-Match hit ratio >= 0.7 (median ${hitRatio.toFixed(2)})`, hitRatio >= 0.7],
  ['every miss answered 200 and every hit 304', allAnswered],
] as const;
console.log('');
for (const [label, met] of targets) console.log(`${met ? 'met    ' : 'NOT MET'} ${label}`);
// The load generator and Postgres share the two cores with the server, so throughput also
// moves with them; CPU per request is the server's own cost.
const [missCpu = 0, hitCpu = 0] = cpuRatios.map(median);
console.log(
  `\nfor information: server CPU per request, bare route / forestall (median): ` +
    `misses ${missCpu.toFixed(2)}, hits ${hitCpu.toFixed(2)}`,
);
