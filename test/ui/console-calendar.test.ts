import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('adding an event from the console', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'America/New_York' } });
  });
  afterAll(() => t.close());

  const events = async () => (await readJson(await t.request('/v1/events'))).data;
  const release = {
    kind: 'release',
    title: 'Berlin release train',
    starts_at: '2026-03-03T09:00',
    ends_at: '2026-03-03T10:00',
    rrule: 'FREQ=WEEKLY',
  };

  it('keeps a repeating event in the time zone asked for, and refuses one that is none', async () => {
    const ops = consoleClient(t);
    await ops.signIn(await t.keyFor('ops'));
    const page = await (await ops.get('/console/events/new')).text();
    expect(page).toContain('name="time_zone"');
    expect(page).toContain('placeholder="America/New_York"');

    const refused = await ops.post('/console/events', {
      _csrf: ops.csrfOf(page),
      ...release,
      time_zone: 'Mars/Olympus_Mons',
    });
    expect(refused.status).toBe(400);
    const markup = await refused.text();
    expect(markup).toContain('The event was not added.');
    // The field's own message: forms once said "This is required." of every wrong value.
    expect(markup).toContain('must be an IANA time zone');
    expect(markup).not.toContain('This is required.');
    const untitled = await ops.post('/console/events', {
      _csrf: ops.csrfOf(page),
      ...release,
      title: '',
    });
    expect(untitled.status).toBe(400);
    expect(await untitled.text()).toContain('This is required.');
    expect(await events()).toEqual([]);

    const added = await ops.post('/console/events', {
      _csrf: ops.csrfOf(page),
      ...release,
      time_zone: 'Europe/Berlin',
    });
    expect(added.status).toBe(303);
    expect(await events()).toEqual([
      expect.objectContaining({ title: 'Berlin release train', time_zone: 'Europe/Berlin' }),
    ]);
  });
});
