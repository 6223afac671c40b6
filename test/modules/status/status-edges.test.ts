import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

// Characters XML 1.0 allows (its `Char` production); anything else makes the whole feed unreadable.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

describe('status: odd input and the incident and maintenance lifecycles', () => {
  let t: TestApp;
  let api: { id: string };
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate incidents, status_components, campaigns cascade`);
    t.clock.set('2026-03-02T09:00:00Z');
    api = await readJson(
      await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } }),
    );
  });

  it('keeps the Atom and RSS feeds well-formed XML whatever characters an incident holds', async () => {
    const opened = await t.request('/v1/status/incidents', {
      method: 'POST',
      json: {
        name: 'Odd \uFFFE name \uFFFF',
        body: 'Body with \uFFFF and \uFFFE, an emoji 🔥 and Ωmega.',
        notify_accounts: false,
      },
    });
    expect(opened.status).toBe(201);
    for (const path of ['/status/history.atom', '/status/history.rss']) {
      const xml = await (await t.request(path, { key: null })).text();
      expect(xml.match(NOT_XML_CHAR)?.[0], path).toBeUndefined();
      expect(xml, path).toContain('an emoji 🔥 and Ωmega');
    }
  });
});
