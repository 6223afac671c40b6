import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, WORKER_DEFAULTS } from '../src/config';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('starts with no configuration: embedded database under ./data, port 3000, UTC weeks', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe('file://./data/forestall');
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.workspaceTimeZone).toBe('UTC');
    expect(config.adminApiKey).toBeUndefined();
    expect(config.currency).toBe('USD');
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://user:pw@db:5432/forestall',
      DATABASE_POOL_MAX: '20',
      PUBLIC_URL: 'https://forestall.example.com/',
      WORKSPACE_TIME_ZONE: 'Europe/Berlin',
      ADMIN_API_KEY: 'fst_a-long-enough-admin-key-123',
      LOG_LEVEL: 'warn',
      BODY_LIMIT_BYTES: '2048',
      CURRENCY: 'eur',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://user:pw@db:5432/forestall',
      databasePoolMax: 20,
      publicUrl: 'https://forestall.example.com',
      workspaceTimeZone: 'Europe/Berlin',
      adminApiKey: 'fst_a-long-enough-admin-key-123',
      logLevel: 'warn',
      bodyLimitBytes: 2048,
      currency: 'EUR',
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', ADMIN_API_KEY: ' ' }).databaseUrl).toBe(
      'file://./data/forestall',
    );
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/forestall'],
    ['PUBLIC_URL', 'not a url'],
    ['WORKSPACE_TIME_ZONE', 'Mars/Olympus_Mons'],
    ['ADMIN_API_KEY', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_POOL_MAX', '1'],
    ['SPIKE_ALPHA', '0'],
    ['ZENDESK_REASON_FROM', 'column:reason'],
    ['SLACK_WEBHOOK_URL', 'hooks.slack.com/x'],
    ['CURRENCY', 'DOLLARS'],
    ['CURRENCY', 'XYZ'],
    ['WEBHOOKS_ALLOW_LOOPBACK', 'yes'],
    ['TRUSTED_PROXIES', '10.0.0.0/8, proxy.internal'],
    ['TRUSTED_PROXIES', '10.0.0.0/33'],
  ])('names %s when its value (%s) is invalid', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).toContain(`${variable}:`);
  });

  it('lets status webhooks reach loopback only on a local deployment or when told to', () => {
    const allows = (env: Record<string, string>) => loadConfig(env).webhooksAllowLoopback;
    expect(allows({})).toBe(true);
    expect(allows({ PUBLIC_URL: 'http://127.0.0.1:8080' })).toBe(true);
    expect(allows({ PUBLIC_URL: 'http://[::1]:3000/' })).toBe(true);
    expect(allows({ PUBLIC_URL: 'https://status.example.com' })).toBe(false);
    expect(
      allows({ PUBLIC_URL: 'https://status.example.com', WEBHOOKS_ALLOW_LOOPBACK: 'false' }),
    ).toBe(false);
    expect(
      allows({ PUBLIC_URL: 'https://status.example.com', WEBHOOKS_ALLOW_LOOPBACK: 'true' }),
    ).toBe(true);
  });

  it('keeps the report digest addresses as given, each mailbox once whatever its case', () => {
    const config = loadConfig({
      REPORT_DIGEST_TO: 'Lead@Example.com, cfo@example.com, lead@example.COM',
    });
    expect(config.reportDigestTo).toEqual(['Lead@Example.com', 'cfo@example.com']);
    expect(configError({ REPORT_DIGEST_TO: 'lead@example.com, nobody' }).message).toContain(
      'REPORT_DIGEST_TO',
    );
  });

  it('lists every bad variable at once', () => {
    const error = configError({ PORT: '-1', WORKSPACE_TIME_ZONE: 'Nowhere' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['PORT', 'WORKSPACE_TIME_ZONE']);
  });

  it('gives a Worker a notices account cache that fits its isolate, unless told otherwise', () => {
    const isolateBytes = 128 * 2 ** 20;
    expect(loadConfig({}).noticeAccountsCacheBytes).toBe(1024 * 2 ** 20);
    const worker = loadConfig({ ...WORKER_DEFAULTS });
    expect(worker.noticeAccountsCacheBytes).toBeLessThanOrEqual(isolateBytes / 4);
    expect(worker.noticeAccountsCacheBytes).toBeGreaterThan(0);
    const told = loadConfig({ ...WORKER_DEFAULTS, NOTICE_ACCOUNTS_CACHE_MB: '8' });
    expect(told.noticeAccountsCacheBytes).toBe(8 * 2 ** 20);
    // wrangler.toml's [vars] may hold a number.
    const asNumber = loadConfig({ ...WORKER_DEFAULTS, NOTICE_ACCOUNTS_CACHE_MB: 64 });
    expect(asNumber.noticeAccountsCacheBytes).toBe(64 * 2 ** 20);
  });

  it('ignores non-string bindings such as a Workers Hyperdrive object', () => {
    expect(loadConfig({ HYPERDRIVE: { connectionString: 'x' }, PORT: '3001' }).port).toBe(3001);
  });
});
