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
 * p50/p99 latency, for cache misses and for If-None-Match hits; peak RSS of the server.
 * BENCH_ACCOUNTS, BENCH_CAMPAIGNS and BENCH_SECONDS resize it.
 */

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const CAMPAIGNS = Number(process.env.BENCH_CAMPAIGNS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
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

type Run = { rps: number; p50: number; p99: number; requests: number; statuses: string };

async function load(
  base: string,
  nextRequest: () => { path: string; headers: Record<string, string> },
) {
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, ...nextRequest() }),
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
  } satisfies Run;
}

const show = (label: string, run: Run, baseline?: Run) =>
  console.log(
    `${label.padEnd(34)} ${run.rps.toFixed(0).padStart(7)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms` +
      `${baseline ? `  ratio ${(run.rps / baseline.rps).toFixed(2)}` : ''}  [${run.statuses}]`,
  );

console.log(`Seeding ${ACCOUNTS} accounts and ${CAMPAIGNS} active campaigns…`);
const seeded = await seed();
const randomAccount = () => accountId(Math.floor(random() * ACCOUNTS));
const noticesPath = (id: string) => `/v1/accounts/${id}/notices`;
const auth = { authorization: `Bearer ${seeded.key}` };

const bare = await startAppServer('bare');
const bareRequest = () => ({ path: noticesPath(randomAccount()), headers: {} });
await load(bare.base, bareRequest); // warm-up
const bareRun = await load(bare.base, bareRequest);
await bare.stop();

const app = await startAppServer('forestall', seeded.url);
// ETags of a sample of accounts, for the If-None-Match run.
const sample = Array.from({ length: 2_000 }, randomAccount);
const etags = new Map<string, string>();
let noticesShown = 0;
let bytes = 0;
for (const id of sample) {
  const response = await fetch(`${app.base}${noticesPath(id)}`, { headers: auth });
  etags.set(id, response.headers.get('etag') ?? '');
  const text = await response.text();
  bytes += text.length;
  noticesShown += (JSON.parse(text) as { notices: unknown[] }).notices.length;
}
const missRequest = () => ({ path: noticesPath(randomAccount()), headers: auth });
// Warm-up, as for the bare route: this first pass also fills the server's account cache.
const coldRun = await load(app.base, missRequest);
const missRun = await load(app.base, missRequest);
let next = 0;
const hitRun = await load(app.base, () => {
  const id = sample[next++ % sample.length] ?? '';
  return { path: noticesPath(id), headers: { ...auth, 'if-none-match': etags.get(id) ?? '' } };
});
const rss = await app.peakRssMb();
await app.stop();
await dropBenchDatabase(DATABASE);

console.log(
  `\n${CONNECTIONS} connections, ${SECONDS} s per run, ${process.env.BENCH_MIX ?? 'focused'} mix`,
);
console.log(
  `an answer shows ${(noticesShown / sample.length).toFixed(1)} notices on average ` +
    `(${(bytes / sample.length / 1024).toFixed(1)} KB)`,
);
show('bare Hono JSON route', bareRun);
show('notices, first pass (warm-up)', coldRun, bareRun);
show('notices, cache miss (200)', missRun, bareRun);
show('notices, If-None-Match hit (304)', hitRun, bareRun);
console.log(`peak RSS of the forestall server: ${rss.toFixed(0)} MB`);
const only = (run: Run, code: string) => run.statuses === `${code}×${run.requests}`;
const targets = [
  [
    `cache-miss ratio >= 0.5 (${(missRun.rps / bareRun.rps).toFixed(2)})`,
    missRun.rps / bareRun.rps >= 0.5,
  ],
  [`p99 < 20 ms on misses (${missRun.p99} ms)`, missRun.p99 < 20],
  [
    `If-None-Match hit ratio >= 0.7 (${(hitRun.rps / bareRun.rps).toFixed(2)})`,
    hitRun.rps / bareRun.rps >= 0.7,
  ],
  ['every miss answered 200 and every hit 304', only(missRun, '200') && only(hitRun, '304')],
] as const;
console.log('');
for (const [label, met] of targets) console.log(`${met ? 'met    ' : 'NOT MET'} ${label}`);
