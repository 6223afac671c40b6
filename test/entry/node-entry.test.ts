import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../helpers/read-json';
import { ENTRY, ENTRY_TEST_TIMEOUT_MS, ROOT, start, stop } from '../helpers/start-entry';

/** A POST whose body arrives in two halves, so the request is in flight between them. */
function slowPost(port: number, key: string, json: unknown) {
  const body = JSON.stringify(json);
  const half = Math.floor(body.length / 2);
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v1/api-keys',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    },
  });
  const status = new Promise<number | undefined>((resolve, reject) => {
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', reject);
  });
  const halfSent = new Promise<void>((resolve) =>
    request.write(body.slice(0, half), () => resolve()),
  );
  return { halfSent, status, finish: () => request.end(body.slice(half)) };
}

describe('npm start (the Node entry)', { timeout: ENTRY_TEST_TIMEOUT_MS }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'forestall-entry-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts on the embedded database, prints an admin key once, and keeps data across restarts', async () => {
    const env = { DATABASE_URL: `file://${join(dataDir, 'db')}` };
    const first = await start(env);
    const key = first.output().match(/ADMIN API KEY: (fst_\S+)/)?.[1];
    expect(key).toBeDefined();
    expect(first.output()).toContain(`http://localhost:${first.port}/docs`);
    // It says what it is doing before it listens, and a new database is copied from the seed.
    const lines = first.output().split('\n');
    const listening = lines.findIndex((line) => line.includes('forestall is listening'));
    expect(lines.slice(0, listening).join('\n')).toMatch(
      /Starting forestall[\s\S]*creating the embedded database from the migrated seed[\s\S]*Applying migrations/,
    );
    expect(lines[listening]).toMatch(/started in \d+\.\d s/);
    // Emails stay in the local outbox: one-click unsubscribe is nobody's concern yet.
    expect(first.output()).not.toContain('one-click');
    const docs = await fetch(`${first.url}/docs`);
    expect(await docs.text()).toContain('/docs/assets/swagger-ui-bundle.js');
    expect((await fetch(`${first.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);

    expect((await fetch(`${first.url}/ready`)).status).toBe(200);
    const unauthenticated = await fetch(`${first.url}/v1/api-keys`);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toBe('application/problem+json');
    const created = await fetch(`${first.url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'made before restart', role: 'ops' }),
    });
    expect(created.status).toBe(201);

    // A request still arriving when SIGTERM lands is finished, not cut off.
    const inFlight = slowPost(first.port, key ?? '', {
      name: 'in flight at shutdown',
      role: 'app',
    });
    await inFlight.halfSent;
    const exitCode = stop(first, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    inFlight.finish();
    expect(await inFlight.status).toBe(201);
    expect(await exitCode).toBe(0);
    expect(first.output()).toContain('"message":"stopped"');

    const second = await start(env);
    expect(second.output()).not.toContain('ADMIN API KEY');
    expect(second.output()).toContain('Opening the embedded database');
    const listed = await fetch(`${second.url}/v1/api-keys`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(listed.status).toBe(200);
    const names = (await readJson(listed)).data.map((k: { name: string }) => k.name);
    expect(names).toContain('made before restart');
    expect(await stop(second, 'SIGINT')).toBe(0);
  });

  it('uses ADMIN_API_KEY for the first admin key instead of generating one', async () => {
    const adminKey = 'fst_operator-chosen-admin-key-0001';
    const started = await start({ DATABASE_URL: 'memory://', ADMIN_API_KEY: adminKey });
    expect(started.output()).not.toContain('ADMIN API KEY:');
    expect(started.output()).not.toContain(adminKey);
    const response = await fetch(`${started.url}/v1/api-keys`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(response.status).toBe(200);
    // A chosen secret is named by a label, not by its first characters.
    expect((await readJson(response)).data).toEqual([
      expect.objectContaining({ name: 'bootstrap admin', prefix: 'ADMIN_API_KEY' }),
    ]);
    const made = await fetch(`${started.url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'made by the chosen key', role: 'analyst' }),
    });
    expect(made.status).toBe(201);
    expect(await stop(started, 'SIGTERM')).toBe(0);
    // The log is written asynchronously and flushed at shutdown: the request's line is there,
    // the key it carried is not.
    const lines = started
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'request', path: '/v1/api-keys' }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'api key created', by: 'ADMIN_API_KEY' }),
    );
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'stopped' });
    expect(started.output()).not.toContain(adminKey.slice(0, 8));
  });

  it('warns once at start when emails go out through Resend without one-click unsubscribe', async () => {
    // PUBLIC_URL unset: http://localhost and the port, as a first deployment easily leaves it.
    const started = await start({
      DATABASE_URL: 'memory://',
      RESEND_API_KEY: 're_entry_test',
      RESEND_BASE_URL: 'http://127.0.0.1:9',
    });
    expect(await stop(started, 'SIGTERM')).toBe(0);
    const warnings = started
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('one-click'))
      .map((line) => JSON.parse(line));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        public_url: `http://localhost:${started.port}`,
        affects: expect.stringContaining('Gmail and Yahoo'),
      }),
    ]);
  });

  it('refuses to start on bad configuration and names the variable', async () => {
    const child = spawn(ENTRY[0], ENTRY[1], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', DATABASE_URL: 'memory://' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('PORT:');
  });
});
