import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe("the console's event form", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('shows a title with a bidirectional override as a wrong field, and adds nothing', async () => {
    const ops = consoleClient(t);
    await ops.signIn(await t.keyFor('ops'));
    const page = await (await ops.get('/console/events/new')).text();
    const refused = await ops.post('/console/events', {
      _csrf: ops.csrfOf(page),
      kind: 'release',
      title: 'invoice\u202Egnp.exe',
      starts_at: '2026-03-03T09:00',
      ends_at: '2026-03-03T10:00',
    });
    expect(refused.status).toBe(400);
    const markup = await refused.text();
    expect(markup).toContain('The event was not added.');
    expect(markup).toContain('must not contain bidirectional embedding, override or isolate');
    expect((await readJson(await t.request('/v1/events'))).data).toEqual([]);
  });
});
