import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { openPostgres } from '../../src/db/postgres';
import { createLogger } from '../../src/logger';
import { isHeldOut } from '../../src/modules/campaigns/holdout';
import { cronTable } from '../../src/modules/jobs/cron-table';
import { latestMoment, triggerOf } from '../../src/modules/jobs/schedule-moments';
import { prepareWorkspace } from '../../src/prepare-workspace';
import { type FakeResend, startFakeResend } from '../helpers/fake-resend';
import { freePort } from '../helpers/free-port';
import { readJson } from '../helpers/read-json';
import { withDatabase } from '../helpers/template-databases';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_KEY = 'fst_workers-test-admin-key-000001';
const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  throw new Error('The Workers test needs Postgres: set TEST_DATABASE_URL (see README).');
}

describe('the Workers entry in workerd against real Postgres', () => {
  const dbName = `forestall_workers_${process.pid}`;
  const dbUrl = withDatabase(adminUrl, dbName);
  let wrangler: ChildProcess;
  let output = '';
  let base = '';
  let sql: postgres.Sql;
  let resend: FakeResend;

  beforeAll(async () => {
    resend = await startFakeResend({ requestsPerSecond: 10 });
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    await admin.unsafe(`create database "${dbName}"`);
    await admin.end();

    // What a deployment does before `wrangler deploy`: npm run db:migrate with ADMIN_API_KEY.
    const database = openPostgres(dbUrl, { poolMax: 2 });
    const config = loadConfig({ DATABASE_URL: dbUrl, ADMIN_API_KEY: ADMIN_KEY });
    await prepareWorkspace(
      buildDeps(config, database.db, { logger: createLogger('silent') }),
      database,
    );
    await database.close();
    sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    // The rollup counted in another zone than the Worker's (db:migrate run with another one).
    await sql`update workspace_settings set value = 'Pacific/Auckland' where key = 'rollup_time_zone'`;

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    wrangler = spawn(
      'npx',
      [
        'wrangler',
        'dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--test-scheduled',
        '--show-interactive-dev-session=false',
        '--var',
        `DATABASE_URL:${dbUrl}`,
        '--var',
        'LOG_LEVEL:warn',
        '--var',
        `RESEND_API_KEY:${resend.apiKey}`,
        '--var',
        `RESEND_BASE_URL:${resend.url}`,
        '--var',
        'RESEND_RATE_LIMIT:10',
      ],
      {
        cwd: ROOT,
        detached: true,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    wrangler.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    wrangler.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const deadline = Date.now() + 90_000;
    while (!/Ready on/.test(output)) {
      if (wrangler.exitCode !== null) throw new Error(`wrangler exited:\n${output}`);
      if (Date.now() > deadline) throw new Error(`wrangler not ready after 90 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  afterAll(async () => {
    if (wrangler?.pid) {
      const exited = new Promise((resolve) => wrangler.once('exit', resolve));
      process.kill(-wrangler.pid, 'SIGTERM');
      await exited;
    }
    await sql?.end();
    await resend?.close();
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
  });

  it('answers /ready after a round-trip to Postgres', async () => {
    const response = await fetch(`${base}/ready`);
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ status: 'ready', database: 'ok', notices: 'warm' });
  });

  it('authenticates API keys and renders problems like on Node', async () => {
    const listed = await fetch(`${base}/v1/api-keys`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(listed.status).toBe(200);
    expect((await readJson(listed)).data[0]).toMatchObject({
      role: 'admin',
      name: 'bootstrap admin',
    });
    const refused = await fetch(`${base}/v1/api-keys`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
  });

  it('renders the public status page through the view kit, with its stylesheet', async () => {
    const page = await fetch(`${base}/status`);
    expect(page.status).toBe(200);
    const markup = await page.text();
    expect(markup).toMatch(/^<!doctype html>/);
    const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(markup)?.[1] ?? '';
    expect(stylesheet).toMatch(/^\/assets\/forestall-[0-9a-f]{12}\.css$/);
    const css = await fetch(`${base}${stylesheet}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('ul.components');
  });

  it('serves /docs with Swagger UI from unpkg, each file under the hash of the installed one', async () => {
    const folder = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    const version = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).version;
    const page = await fetch(`${base}/docs`);
    const markup = await page.text();
    for (const name of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
      const file = readFileSync(join(folder, name));
      const integrity = `sha384-${createHash('sha384').update(file).digest('base64')}`;
      const url = `https://unpkg.com/swagger-ui-dist@${version}/${name}`;
      expect(markup).toContain(`"${url}" integrity="${integrity}" crossorigin="anonymous"`);
      expect(page.headers.get('content-security-policy')).toContain(`'self' ${url};`);
    }
  });

  it('runs the scheduled jobs of every Cron Trigger and records the runs in Postgres', async () => {
    const before = await sql`select count(*)::int as n from job_runs`;
    expect(before[0]?.n).toBe(0);
    for (const cron of new Set(cronTable.map(triggerOf))) {
      const fired = await fetch(`${base}/__scheduled?cron=${encodeURIComponent(cron)}`);
      expect(fired.status).toBe(200);
    }
    // The Monday jobs ride the minute trigger but run only at their local Monday moment.
    const fired = cronTable.filter((job) => !job.inWorkspaceZone).map((job) => job.name);
    let runs: { job: string; status: string }[] = [];
    for (let i = 0; i < 40 && runs.length < fired.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      runs = [
        ...(await sql<{ job: string; status: string }[]>`
          select job, status from job_runs
          where status <> 'running' and job in ${sql(fired)} order by job`),
      ];
    }
    expect(runs).toEqual(
      fired.map((job) => ({ job, status: 'succeeded' })).sort((a, b) => a.job.localeCompare(b.job)),
    );
  });

  it('writes structured log lines through pino in workerd', async () => {
    const fired = await fetch(`${base}/__scheduled?cron=${encodeURIComponent('1 2 3 4 5')}`);
    expect(fired.status).toBe(200);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 40 && !line; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const logged = output.split('\n').find((l) => l.includes('no job has this schedule'));
      line = logged
        ? JSON.parse(logged.slice(logged.indexOf('{'), logged.lastIndexOf('}') + 1))
        : undefined;
    }
    // Written with console.warn, so workerd (and Workers Logs) do not label it an error.
    const shown = output.split('\n').find((l) => l.includes('no job has this schedule'));
    expect(shown).not.toMatch(/ERROR/);
    expect(line).toMatchObject({
      level: 'warn',
      message: 'no job has this schedule',
      cron: '1 2 3 4 5',
    });
    expect(line?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('warns that PUBLIC_URL is unset, naming the address its links carry instead', async () => {
    // This Worker runs without PUBLIC_URL, as the README's first `wrangler dev` did.
    const incident = await fetch(`${base}/api/v2/summary.json`);
    expect((await readJson(incident)).page.url).toBe('http://localhost:3000/status');
    const logged = output.split('\n').find((l) => l.includes('PUBLIC_URL is not set'));
    expect(
      logged && JSON.parse(logged.slice(logged.indexOf('{'), logged.lastIndexOf('}') + 1)),
    ).toMatchObject({ level: 'warn', public_url: 'http://localhost:3000' });
    // Its emails go out through Resend, so it also says they carry no one-click unsubscribe.
    const oneClick = output.split('\n').filter((l) => l.includes('without one-click unsubscribe'));
    expect(oneClick).toHaveLength(1);
    expect(
      JSON.parse(
        oneClick[0]?.slice(oneClick[0].indexOf('{'), oneClick[0].lastIndexOf('}') + 1) ?? '',
      ),
    ).toMatchObject({ level: 'warn', public_url: 'http://localhost:3000' });
  });

  it('warns once that the weekly rollup is counted in another zone than its own', async () => {
    await fetch(`${base}/ready`);
    const lines = () => output.split('\n').filter((l) => l.includes('another time zone'));
    const deadline = Date.now() + 5_000;
    while (lines().length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [logged] = lines();
    expect(
      logged && JSON.parse(logged.slice(logged.indexOf('{'), logged.lastIndexOf('}') + 1)),
    ).toMatchObject({
      level: 'warn',
      workspace_time_zone: 'UTC',
      rollup_time_zone: 'Pacific/Auckland',
    });
    await fetch(`${base}/ready`);
    expect(lines()).toHaveLength(1);
  });

  it('serves notices with the same holdout as Node and logs exposures after the response', async () => {
    const call = (path: string, init: { method?: string; json?: unknown } = {}) =>
      fetch(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
      });
    const ids = Array.from({ length: 40 }, (_, i) => `w-${i}`);
    const batch = await call('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: ids.map((id) => ({ id, components: ['API'] })) },
    });
    expect(batch.status).toBe(200);
    const created = await call('/v1/campaigns', {
      method: 'POST',
      json: {
        channels: ['banner'],
        title: 'API degraded',
        audience: { type: 'all' },
        holdout_percent: 50,
        publish: true,
      },
    });
    expect(created.status).toBe(201);
    const campaign = await readJson(created);
    for (const id of ids) {
      const body = await readJson(await call(`/v1/accounts/${id}/notices`));
      expect(body.notices.length).toBe(isHeldOut(campaign.id, id, 50) ? 0 : 1);
    }
    let stored = 0;
    for (let i = 0; i < 40 && stored < ids.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const rows = await sql`select count(distinct account_id)::int as n from exposure_log`;
      stored = rows[0]?.n ?? 0;
    }
    expect(stored).toBe(ids.length);
  });

  it('catches up on the minute trigger a Monday run missed while no trigger fired', async () => {
    // The digest last ran two Mondays before its latest one (07:00 in the Worker's
    // WORKSPACE_TIME_ZONE, UTC); this minute's settle runs anew.
    const missed = latestMoment('0 7 * * 1', new Date(Date.now() - 60_000));
    if (!missed) throw new Error('no Monday 07:00 before now');
    const earlier = new Date(missed.getTime() - 14 * 86_400_000);
    await sql`delete from job_runs where job in ('send-report-digest', 'settle-abandoned-runs')`;
    await sql`insert into job_runs (id, job, scheduled_for, status, started_at, finished_at)
      values (gen_random_uuid(), 'send-report-digest', ${earlier}, 'succeeded', ${earlier}, ${earlier})`;
    expect(
      (await fetch(`${base}/__scheduled?cron=${encodeURIComponent('* * * * *')}`)).status,
    ).toBe(200);
    let runs: { scheduled_for: Date; status: string }[] = [];
    for (let i = 0; i < 40 && runs.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      runs = [
        ...(await sql<{ scheduled_for: Date; status: string }[]>`
          select scheduled_for, status from job_runs
          where job = 'send-report-digest' and status <> 'running' order by scheduled_for`),
      ];
    }
    expect(runs).toEqual([
      { scheduled_for: earlier, status: 'succeeded' },
      { scheduled_for: missed, status: 'succeeded' },
    ]);
  });

  it('sends a due email campaign through Resend from the Cron Trigger, once per recipient', async () => {
    const call = (path: string, json: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    const accounts = ['mail-1', 'mail-2', 'mail-3'].map((id) => ({
      id,
      contacts: [{ email: `${id}@example.com` }],
    }));
    expect((await call('/v1/accounts/batch', { accounts })).status).toBe(200);
    const created = await call('/v1/campaigns', {
      channels: ['email'],
      title: 'Billing moves to the 1st',
      body: 'From next month you are billed on the 1st.',
      audience: { type: 'accounts', account_ids: accounts.map((a) => a.id) },
      email: { template: 'billing' },
      publish: true,
    });
    expect(created.status).toBe(201);
    // The earlier test used this minute's run of the job; a new minute would start a new one.
    await sql`delete from job_runs where job = 'send-emails'`;
    expect(
      (await fetch(`${base}/__scheduled?cron=${encodeURIComponent('* * * * *')}`)).status,
    ).toBe(200);
    for (let i = 0; i < 60 && resend.accepted.length < accounts.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect([...resend.countsByRecipient()].sort()).toEqual(
      accounts.map((a) => [`${a.id}@example.com`, 1]),
    );
    let sent = 0;
    for (let i = 0; i < 40 && sent < accounts.length; i++) {
      const rows = await sql`select count(*)::int as n from email_deliveries where status = 'sent'`;
      sent = rows[0]?.n ?? 0;
      if (sent < accounts.length) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sent).toBe(accounts.length);
    // Without PUBLIC_URL its links are http: listed for people, not claimed as one-click.
    const headers = resend.accepted[0]?.headers ?? {};
    expect(headers['List-Unsubscribe']).toMatch(/^<http:\/\/localhost:3000\/unsubscribe\//);
    expect(headers).not.toHaveProperty('List-Unsubscribe-Post');
  });
});
