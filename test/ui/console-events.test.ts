import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { createCampaign } from '../helpers/campaigns';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { recordingThreadCompute } from '../helpers/recording-compute';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { ticket } from '../helpers/tickets';

describe('the console’s events page', () => {
  let t: TestApp;
  let opsKey: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { WORKSPACE_TIME_ZONE: 'Europe/Berlin' } });
    opsKey = await t.keyFor('ops');
    for (const [slug, label] of [
      ['billing', 'Billing questions'],
      ['login', 'Login trouble'],
    ]) {
      expect(
        (await t.request(`/v1/reasons/${slug}`, { method: 'PUT', json: { label } })).status,
      ).toBe(201);
    }
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    t.clock.set('2026-03-02T09:00:00Z');
    await t.deps.db.execute(sql`truncate events cascade`);
  });

  const addByApi = async (json: Record<string, unknown>) => {
    const response = await t.request('/v1/events', { method: 'POST', key: opsKey, json });
    expect(response.status).toBe(201);
    return readJson(response);
  };
  const stored = async (id: string) =>
    rowsOf<Record<string, unknown>>(
      await t.deps.db.execute(sql`select * from events where id = ${id}`),
    )[0];
  const eventCount = async () =>
    rowsOf<{ n: number }>(await t.deps.db.execute(sql`select count(*)::int as n from events`))[0]
      ?.n;
  const signedIn = async (key = opsKey) => {
    const browser = consoleClient(t);
    await browser.signIn(key);
    return browser;
  };
  const hiddenVersion = (markup: string) =>
    /<input type="hidden" name="version" value="(\d+)"/.exec(markup)?.[1];
  /** A field's message, as the view kit renders it beside the field. */
  const fieldError = (markup: string, field: string) =>
    new RegExp(`id="${field}-error">([^<]*)<`).exec(markup)?.[1];
  const billingRun = {
    kind: 'billing_run',
    title: 'Monthly billing run',
    starts_at: '2026-01-01T06:00:00Z',
    ends_at: '2026-01-01T08:00:00Z',
    rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
    lead_days: 2,
    lag_days: 3,
    affected_reasons: ['Billing questions'],
  };

  it('lists a series once with its rule in words and next start, then upcoming, then past one-off events', async () => {
    const series = await addByApi(billingRun);
    const past = await addByApi({
      kind: 'release',
      title: 'February release',
      starts_at: '2026-02-10T09:00:00Z',
      ends_at: '2026-02-10T10:00:00Z',
    });
    const upcoming = await addByApi({
      kind: 'maintenance',
      title: 'Database upgrade',
      starts_at: '2026-03-20T23:30:00Z',
      ends_at: '2026-03-21T02:00:00Z',
      affected_reasons: ['login', 'billing'],
    });
    const browser = await signedIn();
    const response = await browser.get('/console/events');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<a href="/console/events" aria-current="page">Events</a>');
    // Series first, then what is coming, then what is past.
    const rows = page.split('<tr>').slice(2);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain(`/console/events/${series.id}/edit`);
    expect(rows[1]).toContain(`/console/events/${upcoming.id}/edit`);
    expect(rows[2]).toContain(`/console/events/${past.id}/edit`);
    // The series keeps 07:00 in Berlin: after the clocks change, its next start is 05:00 UTC.
    expect(rows[0]).toContain('every month on the 1st, at 07:00 Europe/Berlin');
    expect(rows[0]).toContain('next <time datetime="2026-04-01T05:00:00.000Z">');
    expect(rows[0]).toContain('Billing questions');
    expect(rows[0]).not.toContain('>billing<');
    expect(rows[0]).toContain('2 / 3');
    expect(rows[0]).toContain('<span class="pill">manual</span>');
    // A one-off event by its day in the workspace's zone (23:30 UTC is the next day in Berlin).
    expect(rows[1]).toContain('Sat 2026-03-21');
    expect(rows[1]).toContain('Login trouble, Billing questions');
    expect(rows[2]).toContain('Tue 2026-02-10');
    expect(rows[1]).toContain(`/console/events/${upcoming.id}/delete`);
  });

  it('says a rule in words only where the words say all of it, at the time of day the rule keeps', async () => {
    const series = (title: string, rrule: string) =>
      addByApi({ ...billingRun, title, rrule, affected_reasons: [] });
    await series('A last weekday', 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1');
    await series('B standup', 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=30');
    await series('C lower case', 'freq=monthly;bymonthday=1');
    const page = await (await (await signedIn()).get('/console/events')).text();
    const rows = page.split('<tr>').slice(2);
    // rrule's words drop BYSETPOS ("every month on weekdays"): the rule is shown as stored.
    expect(rows[0]).toContain(
      'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1, at 07:00 Europe/Berlin',
    );
    expect(rows[0]).not.toContain('every month on weekdays');
    // Its starts are at 09:30 in Berlin whatever time of day the first window had (the one
    // under way now is the next).
    expect(rows[1]).toContain('every week on Monday, at 09:30 Europe/Berlin');
    expect(rows[1]).toContain('next <time datetime="2026-03-02T08:30:00.000Z">');
    expect(rows[2]).toContain('every month on the 1st, at 07:00 Europe/Berlin');
  });

  it('lists a calendar whose series take too long to walk to their next start, saying so for those alone, in one compute task', async () => {
    // A rule with COUNT is walked from its first start: a leap day counted from 1904 walks every
    // day to 2028 (46,752 of them) to reach its next start. Each series walks its own share of
    // the page's steps: twenty-five of them each run out of theirs, and no other series loses
    // its next start to them.
    const leapDays = await addByApi({
      ...billingRun,
      title: 'Leap day',
      starts_at: '1904-02-29T06:00:00Z',
      ends_at: '1904-02-29T07:00:00Z',
      rrule: 'FREQ=DAILY;COUNT=10000;BYMONTH=2;BYMONTHDAY=29',
      affected_reasons: [],
    });
    await t.deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at, rrule)
      select gen_random_uuid(), kind, title || ' ' || n, starts_at, ends_at, rrule
      from events, generate_series(1, 24) as n where id = ${leapDays.id}`);
    await addByApi(billingRun);
    await t.deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at, rrule)
      select gen_random_uuid(), 'release', 'Weekly release ' || n,
        timestamptz '2026-01-05 09:00Z', timestamptz '2026-01-05 10:00Z', 'FREQ=WEEKLY'
      from generate_series(10, 19) as n`);
    const { compute, tasks } = recordingThreadCompute();
    const onThreads = await startTestApp({
      database: t.database,
      compute,
      env: { WORKSPACE_TIME_ZONE: 'Europe/Berlin' },
    });
    onThreads.clock.set('2026-03-02T09:00:00Z');
    const browser = consoleClient(onThreads);
    await browser.signIn(await onThreads.keyFor('ops'));
    const response = await browser.get('/console/events');
    expect(response.status).toBe(200);
    const rows = (await response.text()).split('<tr>').slice(2);
    expect(rows).toHaveLength(36);
    for (const row of rows.slice(0, 25)) {
      expect(row).toContain('Leap day');
      expect(row).toContain('next start not worked out');
    }
    expect(rows[25]).toContain('Monthly billing run');
    expect(rows[25]).toContain('next <time datetime="2026-04-01T05:00:00.000Z">');
    for (const row of rows.slice(26)) {
      expect(row).toContain('Weekly release');
      expect(row).toContain('next <time datetime="2026-03-02T09:00:00.000Z">');
    }
    // The page's series were walked in one task on a compute thread, not one task each.
    expect(tasks).toEqual(['nextWindows']);

    // A few series near their next start are walked on the request thread.
    await t.deps.db.execute(sql`delete from events where title like 'Leap day%'
      or title like 'Weekly release 1_' and title <> 'Weekly release 10'`);
    const few = await (await browser.get('/console/events')).text();
    expect(few).toContain('next <time datetime="2026-04-01T05:00:00.000Z">');
    expect(few).toContain('next <time datetime="2026-03-02T09:00:00.000Z">');
    expect(tasks).toEqual(['nextWindows']);
  }, 30_000);

  it('pages through a long calendar, each event once, series first, then to come, then past', async () => {
    await t.deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at, rrule)
      select gen_random_uuid(), 'other', 'Series ' || n, timestamptz '2025-06-01 09:00Z',
        timestamptz '2025-06-01 10:00Z', 'FREQ=YEARLY'
      from generate_series(1, 5) as n`);
    // 60 to come from tomorrow on, 60 past before today.
    await t.deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at)
      select gen_random_uuid(), 'other', 'Event ' || n,
        timestamptz '2026-03-02 09:00Z' + n * interval '1 day',
        timestamptz '2026-03-02 10:00Z' + n * interval '1 day'
      from generate_series(-60, 60) as n where n <> 0`);
    const browser = await signedIn();
    const titles = (markup: string) =>
      [...markup.matchAll(/>((?:Event|Series) -?\d+)<\/a>/g)].map((m) => m[1]);
    const first = await (await browser.get('/console/events')).text();
    expect(titles(first)).toHaveLength(100);
    const next = /<a href="(\/console\/events\?cursor=[^"]+)">Next page<\/a>/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = await (await browser.get(next ?? '')).text();
    expect(second).toContain('<a href="/console/events">First page</a>');
    expect(second).not.toContain('Next page');
    expect([...titles(first), ...titles(second)]).toEqual([
      ...Array.from({ length: 5 }, (_, i) => `Series ${i + 1}`),
      ...Array.from({ length: 60 }, (_, i) => `Event ${i + 1}`),
      ...Array.from({ length: 60 }, (_, i) => `Event -${i + 1}`),
    ]);
  });

  it('refuses a page link whose cursor the page did not hand out, with a 400 saying so', async () => {
    const browser = await signedIn();
    const cursorOf = (place: Record<string, unknown>) =>
      Buffer.from(JSON.stringify(place)).toString('base64url');
    const place = {
      group: 0,
      title: 'Series',
      time: '0',
      id: '0190a1b2-0000-7000-8000-000000000000',
    };
    for (const cursor of [
      'bm90LWEtY3Vyc29y',
      cursorOf({ ...place, title: 'Series\u0000' }),
      cursorOf({ ...place, group: 7 }),
      '!!',
    ]) {
      const refused = await browser.get(`/console/events?cursor=${cursor}`);
      expect(refused.status, cursor).toBe(400);
      expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
      const markup = await refused.text();
      expect(markup).toContain('That page link is broken: start from the first page.');
      expect(markup).toContain('<a href="/console/events">First page</a>');
    }
    // A NUL in the link itself is refused before the page reads it: still a console page.
    const nul = await browser.get('/console/events?cursor=%00');
    expect(nul.status).toBe(400);
    expect(nul.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = (await browser.get('/console/events')).headers.get('content-security-policy');
    expect(nul.headers.get('content-security-policy')).toBe(policy);
    const markup = await nul.text();
    expect(markup).toContain('<code>cursor</code>: must not contain a NUL character');
    // The API's list refuses both as a problem naming the cursor.
    for (const cursor of ['%00', cursorOf(place)]) {
      const api = await t.request(`/v1/events?cursor=${cursor}`, { key: opsKey });
      expect(api.status).toBe(400);
      expect((await readJson(api)).errors).toEqual([
        expect.objectContaining({ location: 'query', path: 'cursor' }),
      ]);
    }
  });

  it('adds an event with lead and lag days and affected reasons chosen by label, stored as slugs', async () => {
    const browser = await signedIn();
    const form = await (await browser.get('/console/events/new')).text();
    expect(form).toMatch(
      /<input type="checkbox" name="affected_reasons" value="billing"\/?>\s*Billing questions/,
    );
    const added = await browser.post('/console/events', {
      _csrf: browser.csrfOf(form),
      kind: 'release',
      title: 'Weekly release',
      starts_at: '2026-03-03T09:00',
      ends_at: '2026-03-03T10:00',
      rrule: 'FREQ=WEEKLY',
      time_zone: 'America/New_York',
      excluded_starts: '2026-03-10\n2026-03-17T13:00',
      lead_days: '1',
      lag_days: '4',
      affected_reasons: ['billing', 'login'],
    });
    expect(added.status).toBe(303);
    const location = added.headers.get('location') ?? '';
    expect(location).toMatch(/^\/console\/events\?done=/);
    expect(await (await browser.get(location)).text()).toContain(
      'Added &quot;Weekly release&quot;.',
    );
    const [event] = (await readJson(await t.request('/v1/events'))).data;
    expect(event).toMatchObject({
      kind: 'release',
      title: 'Weekly release',
      starts_at: '2026-03-03T09:00:00.000Z',
      ends_at: '2026-03-03T10:00:00.000Z',
      rrule: 'FREQ=WEEKLY',
      time_zone: 'America/New_York',
      excluded_starts: ['2026-03-10', '2026-03-17T13:00:00.000Z'],
      lead_days: 1,
      lag_days: 4,
      affected_reasons: ['billing', 'login'],
      origin: 'manual',
    });
  });

  it('shows bad input as field errors and stores nothing', async () => {
    const browser = await signedIn();
    const csrf = browser.csrfOf(await (await browser.get('/console/events/new')).text());
    const fields = {
      _csrf: csrf,
      kind: 'release',
      title: 'Release',
      starts_at: '2026-03-03T09:00',
      ends_at: '2026-03-03T10:00',
    };
    const refused = await browser.post('/console/events', {
      ...fields,
      title: '',
      lead_days: '99',
      lag_days: 'two',
      extra_starts: 'soon',
      rrule: 'FREQ=WEEKLY',
    });
    expect(refused.status).toBe(400);
    const markup = await refused.text();
    expect(markup).toContain('The event was not added.');
    expect(fieldError(markup, 'title')).toBe('This is required.');
    expect(fieldError(markup, 'lead_days')).toBe('Enter whole days from 0 to 60.');
    expect(fieldError(markup, 'lag_days')).toBe('Enter whole days from 0 to 60.');
    expect(fieldError(markup, 'extra_starts')).toContain('a time in UTC');
    // What was typed stays in the form.
    expect(markup).toContain('value="99"');
    expect(markup).toContain('>soon</textarea>');

    // What only the service can tell (a rule that never occurs, a reason nobody has) is a
    // field to fix too, not an error page.
    const never = await browser.post('/console/events', {
      ...fields,
      rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
    });
    expect(never.status).toBe(400);
    expect(fieldError(await never.text(), 'rrule')).toBeTruthy();
    const unknown = await browser.post('/console/events', {
      ...fields,
      affected_reasons: ['billing', 'no-such-reason'],
    });
    expect(unknown.status).toBe(400);
    expect(fieldError(await unknown.text(), 'affected_reasons')).toContain('no-such-reason');
    // Too many skipped starts, each well formed, is said as such, not as a bad format.
    const minutes = Array.from({ length: 501 }, (_, i) =>
      new Date(Date.UTC(2026, 3, 1, 9, i)).toISOString().slice(0, 16),
    );
    const tooMany = await browser.post('/console/events', {
      ...fields,
      rrule: 'FREQ=DAILY',
      excluded_starts: minutes.join('\n'),
    });
    expect(tooMany.status).toBe(400);
    expect(fieldError(await tooMany.text(), 'excluded_starts')).toBe(
      'Enter at most 500 starts, one a line.',
    );
    expect(await eventCount()).toBe(0);
  });

  it('edits an event, keeping what the form does not show', async () => {
    const event = await addByApi({
      ...billingRun,
      excluded_starts: ['2026-05-01'],
      audience: { plan: 'pro' },
    });
    const browser = await signedIn();
    const form = await (await browser.get(`/console/events/${event.id}/edit`)).text();
    expect(hiddenVersion(form)).toBe(String(event.version));
    expect(form).toContain('value="Monthly billing run"');
    expect(form).toContain('value="2026-01-01T06:00"');
    expect(form).toMatch(/value="billing" checked/);
    expect(form).toContain('>2026-05-01</textarea>');
    const saved = await browser.post(`/console/events/${event.id}/edit`, {
      _csrf: browser.csrfOf(form),
      version: hiddenVersion(form) ?? '',
      kind: 'billing_run',
      title: 'Billing run',
      starts_at: '2026-01-01T06:00',
      ends_at: '2026-01-01T08:00',
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
      excluded_starts: '2026-05-01',
      lead_days: '5',
      lag_days: '0',
      affected_reasons: 'login',
    });
    expect(saved.status).toBe(303);
    expect(await (await browser.get(saved.headers.get('location') ?? '')).text()).toContain(
      'Saved &quot;Billing run&quot;.',
    );
    expect(await stored(event.id)).toMatchObject({
      title: 'Billing run',
      lead_days: 5,
      lag_days: 0,
      affected_reasons: ['login'],
      excluded_starts: ['2026-05-01'],
      audience: { plan: 'pro' },
      version: event.version + 1,
    });
  });

  /** The fields a browser sends for the form posting to `action` in `page`, as it shows them. */
  const formFields = (page: string, action: string) => {
    const markup =
      new RegExp(`<form [^>]*action="${action}"[^>]*>(.*?)</form>`, 's').exec(page)?.[1] ?? '';
    const text = (value: string) =>
      value
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&amp;', '&');
    const fields: Record<string, string | string[]> = {};
    const add = (name: string, value: string) => {
      const had = fields[name];
      fields[name] = had === undefined ? value : [had, value].flat();
    };
    for (const [tag] of markup.matchAll(/<input [^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(tag)?.[1];
      const value = /value="([^"]*)"/.exec(tag)?.[1] ?? '';
      if (!name || (/type="checkbox"/.test(tag) && !/ checked/.test(tag))) continue;
      add(name, text(value));
    }
    for (const [, name, value] of markup.matchAll(/<textarea [^>]*name="([^"]*)"[^>]*>([^<]*)</g))
      add(name ?? '', text(value ?? ''));
    for (const [, name, options] of markup.matchAll(
      /<select [^>]*name="([^"]*)"[^>]*>(.*?)<\/select>/gs,
    ))
      add(name ?? '', /<option value="([^"]*)" selected/.exec(options ?? '')?.[1] ?? '');
    return fields;
  };

  it('saves an unchanged form as nothing changed: times to the millisecond, version and all', async () => {
    const event = await addByApi({
      ...billingRun,
      starts_at: '2026-01-01T06:00:30.250Z',
      ends_at: '2026-01-01T08:15:45Z',
      time_zone: 'America/New_York',
      excluded_starts: ['2026-05-01', '2026-06-01T10:00:30.250Z'],
      extra_starts: ['2026-02-03T09:15:00Z', '2026-02-04T09:15:30.125Z'],
      audience: { plan: 'pro', region: 'eu' },
    });
    const before = await stored(event.id);
    const browser = await signedIn();
    const form = await (await browser.get(`/console/events/${event.id}/edit`)).text();
    // Extra and skipped starts as the hints ask for them (…T09:00), to the second or
    // millisecond where they have one.
    expect(form).toContain('>2026-02-03T09:15\n2026-02-04T09:15:30.125</textarea>');
    expect(form).toContain('>2026-05-01\n2026-06-01T10:00:30.250</textarea>');
    expect(form).toContain('value="2026-01-01T06:00:30.250"');
    expect(form).toContain('value="2026-01-01T08:15:45"');
    t.clock.set('2026-03-02T10:00:00Z');
    const saved = await browser.post(
      `/console/events/${event.id}/edit`,
      formFields(form, `/console/events/${event.id}/edit`),
    );
    expect(saved.status, await saved.clone().text()).toBe(303);
    expect(await stored(event.id)).toEqual(before);
    const reread = await (await browser.get(`/console/events/${event.id}/edit`)).text();
    expect(reread).toBe(form.replaceAll(browser.csrfOf(form), browser.csrfOf(reread)));
  });

  it('keeps what was typed when someone saved the event meanwhile, saves nothing, and offers a reload', async () => {
    const event = await addByApi(billingRun);
    const browser = await signedIn();
    const form = await (await browser.get(`/console/events/${event.id}/edit`)).text();
    const theirs = await t.request(`/v1/events/${event.id}`, {
      method: 'PUT',
      key: opsKey,
      headers: { 'if-match': `"${event.version}"` },
      json: { ...billingRun, lead_days: 7 },
    });
    expect(theirs.status).toBe(200);
    const before = await stored(event.id);
    const fields = {
      _csrf: browser.csrfOf(form),
      version: hiddenVersion(form) ?? '',
      kind: 'billing_run',
      title: 'Billing run, typed meanwhile',
      starts_at: '2026-01-01T06:00',
      ends_at: '2026-01-01T08:00',
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
      lead_days: '1',
      lag_days: '1',
      affected_reasons: 'billing',
    };
    const refused = await browser.post(`/console/events/${event.id}/edit`, fields);
    expect(refused.status).toBe(409);
    const markup = await refused.text();
    expect(markup).toContain('changed since you opened it');
    expect(markup).toContain(`href="/console/events/${event.id}/edit"`);
    expect(markup).toContain('value="Billing run, typed meanwhile"');
    expect(await stored(event.id)).toEqual(before);
    // Told, a second save replaces their change on purpose.
    const current = (await readJson(theirs)).version;
    expect(hiddenVersion(markup)).toBe(String(current));
    const saved = await browser.post(`/console/events/${event.id}/edit`, {
      ...fields,
      _csrf: browser.csrfOf(markup),
      version: hiddenVersion(markup) ?? '',
    });
    expect(saved.status).toBe(303);
    expect(await stored(event.id)).toMatchObject({
      title: 'Billing run, typed meanwhile',
      lead_days: 1,
      version: current + 1,
    });
  });

  it('deletes an event only once confirmed, with its token and the version shown', async () => {
    const event = await addByApi(billingRun);
    const browser = await signedIn();
    const confirm = await (await browser.get(`/console/events/${event.id}/delete`)).text();
    expect(confirm).toContain('Delete &quot;Monthly billing run&quot;?');
    expect(await eventCount()).toBe(1);

    const forged = await browser.post(`/console/events/${event.id}/delete`, {
      version: String(event.version),
    });
    expect(forged.status).toBe(403);
    // Changed since the page was opened: asked again, nothing deleted.
    await t.request(`/v1/events/${event.id}`, {
      method: 'PUT',
      key: opsKey,
      json: { ...billingRun, title: 'Renamed billing run' },
    });
    const stale = await browser.post(`/console/events/${event.id}/delete`, {
      _csrf: browser.csrfOf(confirm),
      version: hiddenVersion(confirm) ?? '',
    });
    expect(stale.status).toBe(409);
    const again = await stale.text();
    expect(again).toContain('changed since you opened this page');
    expect(again).toContain('Delete &quot;Renamed billing run&quot;?');
    expect(await eventCount()).toBe(1);

    const deleted = await browser.post(`/console/events/${event.id}/delete`, {
      _csrf: browser.csrfOf(again),
      version: hiddenVersion(again) ?? '',
    });
    expect(deleted.status).toBe(303);
    const list = await (await browser.get(deleted.headers.get('location') ?? '')).text();
    expect(list).toContain('Deleted &quot;Renamed billing run&quot;.');
    expect(await eventCount()).toBe(0);
  });

  it('refuses to delete an event a scheduled campaign needs, saying so', async () => {
    const event = await addByApi(billingRun);
    await createCampaign(
      t,
      {
        channels: ['banner'],
        title: 'Billing heads-up',
        event_id: event.id,
        starts_at: '2026-04-01T00:00:00Z',
      },
      { key: opsKey },
    );
    const browser = await signedIn();
    const confirm = await (await browser.get(`/console/events/${event.id}/delete`)).text();
    const refused = await browser.post(`/console/events/${event.id}/delete`, {
      _csrf: browser.csrfOf(confirm),
      version: hiddenVersion(confirm) ?? '',
    });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('Not deleted:');
    expect(await eventCount()).toBe(1);
  });

  it('lets an analyst read the calendar but not change it', async () => {
    const event = await addByApi(billingRun);
    const analyst = await signedIn(await t.keyFor('analyst'));
    const list = await analyst.get('/console/events');
    expect(list.status).toBe(200);
    const markup = await list.text();
    expect(markup).toContain('Monthly billing run');
    expect(markup).toContain('<a href="/console/events" aria-current="page">Events</a>');
    expect(markup).not.toContain('/console/events/new');
    expect(markup).not.toContain(`/console/events/${event.id}/edit`);
    expect(markup).not.toContain('/console/events/holidays');
    const csrf = analyst.csrfOf(markup);
    for (const path of ['/console/events/new', `/console/events/${event.id}/edit`]) {
      expect((await analyst.get(path)).status, path).toBe(403);
    }
    const posts: [string, Record<string, string>][] = [
      [
        '/console/events',
        {
          kind: 'other',
          title: 'Sneaked in',
          starts_at: '2026-03-03T09:00',
          ends_at: '2026-03-03T10:00',
        },
      ],
      [
        `/console/events/${event.id}/edit`,
        {
          version: '1',
          kind: 'other',
          title: 'Renamed',
          starts_at: '2026-03-03T09:00',
          ends_at: '2026-03-03T10:00',
        },
      ],
      [`/console/events/${event.id}/delete`, { version: '1' }],
      ['/console/events/holidays', { country: 'DE', from_year: '2027' }],
    ];
    const before = await stored(event.id);
    for (const [path, fields] of posts) {
      expect((await analyst.post(path, { _csrf: csrf, ...fields })).status, path).toBe(403);
    }
    expect(await stored(event.id)).toEqual(before);
    expect(await eventCount()).toBe(1);
  });

  it('imports public holidays from the events page, listed as such', async () => {
    const browser = await signedIn();
    const page = await (await browser.get('/console/events')).text();
    const refused = await browser.post('/console/events/holidays', {
      _csrf: browser.csrfOf(page),
      country: 'Germany',
      from_year: '2027',
    });
    expect(refused.status).toBe(400);
    expect(fieldError(await refused.text(), 'holiday-country')).toContain('two-letter');
    expect(await eventCount()).toBe(0);
    const imported = await browser.post('/console/events/holidays', {
      _csrf: browser.csrfOf(page),
      country: 'DE',
      from_year: '2027',
    });
    expect(imported.status).toBe(303);
    const list = await (await browser.get(imported.headers.get('location') ?? '')).text();
    expect(list).toMatch(/Holidays: \d+ added, 0 changed, 0 already as stored\./);
    expect(list).toContain('<span class="pill">holidays</span>');
    // Editing one says an import again would replace the change.
    const edit = /href="(\/console\/events\/[0-9a-f-]+\/edit)"/.exec(list)?.[1] ?? '';
    expect(await (await browser.get(edit)).text()).toContain('Imported (holidays)');
  });

  it('lists a holiday by its day where it is a holiday, saying the place and its zone', async () => {
    const browser = await signedIn();
    const page = await (await browser.get('/console/events')).text();
    const imported = await browser.post('/console/events/holidays', {
      _csrf: browser.csrfOf(page),
      country: 'US',
      from_year: '2027',
    });
    expect(imported.status).toBe(303);
    // Imported before holidays kept their zone: the zone is found from the place.
    await t.deps.db.execute(sql`
      insert into events (id, kind, title, starts_at, ends_at, origin, origin_id)
      values (gen_random_uuid(), 'holiday', 'Cesar Chavez Day (US-CA)',
        timestamptz '2027-03-31 07:00Z', timestamptz '2027-04-01 07:00Z', 'holidays',
        'US-CA:2027-03-31:Cesar Chavez Day')`);
    const rows = (await (await browser.get('/console/events')).text()).split('<tr>');
    // New Year's Day starts at 05:00 UTC, midnight in New York: a Friday there and in Berlin.
    const newYear = rows.find((row) => row.includes('New Year&#39;s Day (US)')) ?? '';
    expect(newYear).toContain('Fri 2027-01-01');
    expect(newYear).toContain('all day, US holidays (America/New_York)');
    expect(newYear).not.toContain('<time');
    const cesarChavez = rows.find((row) => row.includes('Cesar Chavez Day')) ?? '';
    expect(cesarChavez).toContain('Wed 2027-03-31');
    expect(cesarChavez).toContain('all day, US-CA holidays (America/Los_Angeles)');
    const [event] = (await readJson(await t.request('/v1/events?kind=holiday'))).data;
    expect(event.time_zone).toBe('America/New_York');
  });

  it('imports a region’s public holidays, refusing a region as the API does', async () => {
    const browser = await signedIn();
    const page = await (await browser.get('/console/events')).text();
    expect(page).toMatch(/<input type="text" id="holiday-region" name="region"/);
    const post = (fields: Record<string, string>) =>
      browser.post('/console/events/holidays', { _csrf: browser.csrfOf(page), ...fields });
    for (const [region, message] of [
      ['a-region-too-long', 'up to 10'],
      ['ZZ', 'ZZ is not a region of US'],
    ] as const) {
      const refused = await post({ country: 'US', region, from_year: '2027' });
      expect(refused.status, region).toBe(400);
      const markup = await refused.text();
      expect(fieldError(markup, 'holiday-region'), region).toContain(message);
      expect(markup).toContain(`value="${region}"`);
    }
    expect(await eventCount()).toBe(0);
    const imported = await post({ country: 'us', region: ' ca ', from_year: '2027' });
    expect(imported.status).toBe(303);
    const titles = rowsOf<{ title: string; time_zone: string }>(
      await t.deps.db.execute(sql`select title, time_zone from events`),
    );
    expect(titles).toContainEqual({
      title: 'César Chávez Day (US-CA)',
      time_zone: 'America/Los_Angeles',
    });
    expect(titles.every((row) => row.title.endsWith('(US-CA)'))).toBe(true);
  });

  it('offers the years since the first ticket, and imports them in one submit', async () => {
    const ingested = await t.request('/v1/tickets', {
      method: 'POST',
      json: { tickets: [ticket('holiday-years-1', { created_at: '2019-05-06T10:00:00Z' })] },
    });
    expect(ingested.status).toBe(200);
    const browser = await signedIn();
    const page = await (await browser.get('/console/events')).text();
    // The clock says March 2026: up to next year.
    expect(page).toMatch(/id="holiday-from_year" name="from_year" value="2019"/);
    expect(page).toMatch(/id="holiday-to_year" name="to_year" value="2027"/);
    const post = (fields: Record<string, string>) =>
      browser.post('/console/events/holidays', { _csrf: browser.csrfOf(page), ...fields });
    for (const [fields, message] of [
      [{ from_year: '2019', to_year: '2049' }, 'at most 30 years'],
      [{ from_year: '2019', to_year: '2018' }, 'from the first year on'],
      [{ from_year: '1800' }, 'between 1990 and 2100'],
    ] as const) {
      const refused = await post({ country: 'DE', ...fields });
      expect(refused.status, fields.to_year).toBe(400);
      const markup = await refused.text();
      const field = 'to_year' in fields ? 'holiday-to_year' : 'holiday-from_year';
      expect(fieldError(markup, field), JSON.stringify(fields)).toContain(message);
    }
    expect(await eventCount()).toBe(0);
    const imported = await post({ country: 'DE', from_year: '2019', to_year: '2027' });
    expect(imported.status).toBe(303);
    const years = rowsOf<{ year: number }>(
      await t.deps.db.execute(
        sql`select distinct extract(year from starts_at at time zone 'Europe/Berlin')::int as year
          from events order by year`,
      ),
    ).map((row) => row.year);
    expect(years).toEqual([2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027]);
  });
});
