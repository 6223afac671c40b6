import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { createCampaign } from '../helpers/campaigns';
import { consoleClient } from '../helpers/console-client';
import { raceForComponentName } from '../helpers/racing-name';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('console forms that cannot be done', () => {
  let t: TestApp;
  let componentId: string;
  beforeAll(async () => {
    t = await startTestApp();
    const created = await t.request('/v1/status/components', {
      method: 'POST',
      json: { name: 'API' },
    });
    componentId = (await readJson(created)).id;
  });
  afterAll(() => t.close());

  const admin = async () => {
    const browser = consoleClient(t);
    await browser.signIn(t.adminKey);
    const csrf = browser.csrfOf(await (await browser.get('/console/campaigns/new')).text());
    return { browser, csrf };
  };

  const count = async (table: string) => {
    const [row] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql.raw(`select count(*)::int as n from ${table}`)),
    );
    return row?.n;
  };

  it('marks a field holding NUL on the form it came from, storing nothing', async () => {
    const { browser, csrf } = await admin();
    const before = {
      campaigns: await count('campaigns'),
      events: await count('events'),
      incidents: await count('incidents'),
      api_keys: await count('api_keys'),
    };
    const posts: [path: string, field: string, fields: Record<string, string>][] = [
      [
        '/console/campaigns',
        'body',
        {
          channels: 'banner',
          title: 'x',
          body: 'a\u0000b',
          audience_type: 'all',
          action: 'publish',
        },
      ],
      [
        '/console/events',
        'title',
        {
          kind: 'release',
          title: 'a\u0000b',
          starts_at: '2026-03-03T09:00',
          ends_at: '2026-03-03T10:00',
        },
      ],
      ['/console/status/incidents', 'body', { name: 'Down', body: 'a\u0000b', impact: 'minor' }],
      ['/console/api-keys', 'name', { name: 'a\u0000b', role: 'ops' }],
    ];
    for (const [path, field, fields] of posts) {
      const response = await browser.post(path, { _csrf: csrf, ...fields });
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      const markup = await response.text();
      expect(markup, path).toMatch(
        new RegExp(`id="[\\w-]*${field}-error">[^<]*control characters`),
      );
    }
    expect({
      campaigns: await count('campaigns'),
      events: await count('events'),
      incidents: await count('incidents'),
      api_keys: await count('api_keys'),
    }).toEqual(before);
  });

  it('keeps line breaks in a body, refusing only the other control characters', async () => {
    const { browser, csrf } = await admin();
    const response = await browser.post('/console/status/incidents', {
      _csrf: csrf,
      name: 'Slow dashboard',
      body: 'We are looking into it.\r\n\r\n\tMore soon.',
      impact: 'minor',
    });
    expect(response.status).toBe(303);
    const escaped = await browser.post('/console/status/incidents', {
      _csrf: csrf,
      name: 'Escaped',
      body: 'a\u001bb',
      impact: 'minor',
    });
    expect(escaped.status).toBe(400);
    expect(await escaped.text()).toContain('The incident was not opened.');
  });

  it('answers a mistyped or unknown id with a console page and the status the API would give', async () => {
    const { browser, csrf } = await admin();
    const unknown = '01900000-0000-7000-8000-000000000000';
    const posts: [path: string, fields: Record<string, string>, status: number][] = [
      ['/console/campaigns/not-a-uuid/status', { status: 'zzz' }, 404],
      ['/console/campaigns/not-a-uuid/status', { status: 'ended' }, 404],
      [`/console/campaigns/${unknown}/status`, { status: 'ended' }, 404],
      ['/console/status/components/zzz', { name: 'x' }, 404],
      [`/console/status/incidents/${unknown}/updates`, { status: 'resolved', body: 'x' }, 404],
      [`/console/status/incidents/${unknown}/reopen`, { status: 'identified', body: 'x' }, 404],
      ['/console/status/maintenances/zzz/reopen', { status: 'in_progress', body: 'x' }, 404],
      ['/console/api-keys/not-a-uuid/revoke', {}, 404],
      [`/console/api-keys/${unknown}/revoke`, {}, 404],
    ];
    for (const [path, fields, status] of posts) {
      const response = await browser.post(path, { _csrf: csrf, ...fields });
      expect(response.status, path).toBe(status);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      const markup = await response.text();
      expect(markup, path).toContain('<h1>Not found</h1>');
      expect(markup, path).toContain('href="/console"');
    }
    for (const path of [
      '/console/campaigns/not-a-uuid',
      '/console/campaigns/not-a-uuid/edit',
      `/console/status/incidents/${unknown}/reopen`,
    ]) {
      const response = await browser.get(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).toContain('<h1>Not found</h1>');
    }
    expect(await count('status_components')).toBe(1);
    expect((await readJson(await t.request(`/v1/status/components`))).data).toEqual([
      expect.objectContaining({ id: componentId, name: 'API' }),
    ]);
  });

  it('refuses a status a campaign cannot be moved to, on a console page, changing nothing', async () => {
    const { browser, csrf } = await admin();
    const { id } = await createCampaign(t, {
      channels: ['banner'],
      title: 'Draft',
      publish: false,
    });
    const response = await browser.post(`/console/campaigns/${id}/status`, {
      _csrf: csrf,
      status: 'zzz',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('none of them');
    expect((await readJson(await t.request(`/v1/campaigns/${id}`))).status).toBe('draft');
  });

  it('shows a move the campaign refuses (a stale page) as a problem on its page, with 409', async () => {
    const { browser, csrf } = await admin();
    const { id } = await createCampaign(t, {
      channels: ['banner'],
      title: 'Stale',
      publish: false,
    });
    // Cancelled meanwhile by someone else; the open page still offers "Publish".
    await t.request(`/v1/campaigns/${id}`, { method: 'PATCH', json: { status: 'cancelled' } });
    const response = await browser.post(`/console/campaigns/${id}/status`, {
      _csrf: csrf,
      status: 'scheduled',
    });
    expect(response.status).toBe(409);
    const markup = await response.text();
    expect(markup).toMatch(/<p class="flash bad" role="alert">Not changed: /);
    expect(markup).toContain('<h1>Stale</h1>');
    expect((await readJson(await t.request(`/v1/campaigns/${id}`))).status).toBe('cancelled');
  });

  it('says a component name is taken alike, whether checked first or raced past the check: 409 at the name', async () => {
    const { browser, csrf } = await admin();
    const add = async (name: string) => {
      const response = await browser.post('/console/status/components', { _csrf: csrf, name });
      expect(response.status, name).toBe(409);
      const markup = await response.text();
      expect(markup, name).toContain(
        `<p class="flash bad" role="alert">A component is already named ${name}; nothing was saved.</p>`,
      );
      expect(markup, name).toMatch(
        new RegExp(`id="[\\w-]*name-error">a component is already named ${name}<`),
      );
    };
    const before = await count('status_components');
    await add('API');
    const undo = await raceForComponentName(t.deps.db, 'Billing');
    try {
      await add('Billing');
    } finally {
      await undo();
    }
    expect(await count('status_components')).toBe(before);
  });

  it('answers a mistyped console address with a console page, the bar shown when signed in', async () => {
    const { browser } = await admin();
    const response = await browser.get('/console/campaings');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const markup = await response.text();
    expect(markup).toContain('There is no console page at /console/campaings.');
    expect(markup).toContain('<nav aria-label="Console">');
    const stranger = await consoleClient(t).get('/console/nowhere');
    expect(stranger.status).toBe(404);
    expect(await stranger.text()).not.toContain('<nav aria-label="Console">');
  });

  it('says a stale form is stale on a console page, with 403', async () => {
    const { browser } = await admin();
    const response = await browser.post('/console/status/components', { name: 'Billing' });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('reload the page');
  });

  it('refuses a form with more fields than any console form has before reading them', async () => {
    const { browser, csrf } = await admin();
    const fields: Record<string, string> = { _csrf: csrf, channels: 'banner', title: 'x' };
    for (let i = 0; i < 5000; i++) fields[`f${i}`] = 'x';
    const response = await browser.post('/console/campaigns/preview', fields);
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('more than 1000 fields');
    const upload = new FormData();
    upload.append('_csrf', csrf);
    for (let i = 0; i < 1500; i++) upload.append(`f${i}`, 'x');
    const multipart = await t.app.request('/console/import', {
      method: 'POST',
      headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: upload,
    });
    expect(multipart.status).toBe(413);
    // A form of ordinary size is read as before.
    const preview = await browser.post('/console/campaigns/preview', {
      _csrf: csrf,
      channels: 'banner',
      title: 'Hello',
      body: 'World',
      audience_type: 'all',
    });
    expect(preview.status).toBe(200);
    expect(await preview.text()).toContain('match');
  });
  it('answers a multipart body that cannot be read with a 400 console page, signed in or not', async () => {
    const { browser } = await admin();
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const bodies: [contentType: string, body: string][] = [
      ['multipart/form-data; boundary=zz', 'not a multipart body'],
      ['multipart/form-data', '--zz\r\n'],
      [
        'multipart/form-data; boundary=zz',
        '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nx',
      ],
    ];
    for (const path of ['/console/sign-in', '/console/import', '/console/events']) {
      for (const [contentType, body] of bodies) {
        const response = await t.app.request(path, {
          method: 'POST',
          headers: { cookie, 'content-type': contentType },
          body,
        });
        expect(response.status, `${path} ${contentType}`).toBe(400);
        expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
        expect(await response.text(), path).toContain('cannot be read as a form');
      }
    }
  });
});
