import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addWeeks } from '../../src/modules/reasons/weeks';
import { refreshVerdicts } from '../../src/modules/spikes/refresh-verdicts';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { ingestAll, ticket } from '../helpers/tickets';

const FIRST_MONDAY = '2025-06-02';
const WEEKS = 40;
const DAY_MS = 86_400_000;
const SPIKE_WEEK = addWeeks(FIRST_MONDAY, 36);

describe('console pages anchored to the data: contact reasons and spikes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const tickets = Array.from({ length: WEEKS }, (_, w) => {
      const monday = addWeeks(FIRST_MONDAY, w);
      const count = monday === SPIKE_WEEK ? 70 : 10 + (w % 3);
      return Array.from({ length: count }, (_, i) =>
        ticket(`${w}-${i}`, {
          reason: 'Refund requests',
          account_id: `a${i}`,
          created_at: new Date(
            Date.parse(`${monday}T09:00:00Z`) + (i % 5) * DAY_MS + i * 60_000,
          ).toISOString(),
        }),
      );
    }).flat();
    t.clock.set(`${addWeeks(FIRST_MONDAY, WEEKS)}T06:00:00Z`);
    await ingestAll(t, tickets);
    await refreshVerdicts(t.deps);
  }, 120_000);
  afterAll(() => t.close());

  it('lists the stored spikes of the period where the data ends, unexplained by any event', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const page = await analyst.get('/console/spikes');
    expect(page.status).toBe(200);
    const markup = await page.text();
    expect(markup).toContain('<a href="/console/spikes" aria-current="page">Spikes</a>');
    expect(markup).toContain(`value="${addWeeks(FIRST_MONDAY, WEEKS - 1)}"`);
    const row = markup.slice(markup.indexOf(`<td>${SPIKE_WEEK}</td>`));
    expect(row).toContain('Refund requests');
    expect(row).toContain('no known event');
    expect(markup).not.toContain('Run detection now');
    // The overview lists them too, though no Monday job has raised an alert for them.
    const overview = await (await analyst.get('/console')).text();
    expect(overview).toContain(`Week of ${SPIKE_WEEK}: <bdi>Refund requests</bdi>, 70 contacts`);
    // How surprising it is, in words a leader reads, the p-value on hover.
    expect(overview).toMatch(
      /70 contacts \(expected [\d.,]+; chance <span title="p (=|&lt;) [\d.e+-]+">(1 in [\d,]+|under 1 in a million)<\/span>\)/,
    );
  });

  it('shows an empty period as such, and a refused one with the reason the API gives', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const quiet = await (await analyst.get('/console/spikes?from=2025-06-02&to=2025-06-30')).text();
    expect(quiet).toContain('No spike in these weeks.');
    // Five weeks before and after, a click away.
    expect(quiet).toContain(
      'href="/console/spikes?from=2025-04-28&amp;to=2025-05-26">5 weeks earlier',
    );
    expect(quiet).toContain(
      'href="/console/spikes?from=2025-07-07&amp;to=2025-08-04">5 weeks later',
    );
    const backwards = await analyst.get('/console/spikes?from=2026-01-05&to=2025-06-02');
    expect(backwards.status).toBe(400);
    expect(await backwards.text()).toContain('must not be after');
    for (const from of ['abc', '0500-01-01', '2025-02-30']) {
      const unreadable = await analyst.get(`/console/spikes?from=${from}&to=2025-06-02`);
      expect(unreadable.status, from).toBe(400);
      expect(await unreadable.text()).toContain('is not a date we can read');
    }
  });

  it('shows contact reasons up to the latest week with tickets, the period carried by links', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const last = addWeeks(FIRST_MONDAY, WEEKS - 1);
    const markup = await (await analyst.get('/console/reasons')).text();
    expect(markup).toContain(`Ending at the latest week with tickets (${last}).`);
    expect(markup).toContain(`id="to" name="to" value="${last}"`);
    const from = addWeeks(last, -12);
    expect(markup).toContain(
      `href="/console/reasons?reason=refund-requests&amp;from=${from}&amp;to=${last}"`,
    );
    const before = await (
      await analyst.get('/console/reasons?from=2024-01-01&to=2024-03-01')
    ).text();
    expect(before).toContain(`Tickets cover ${FIRST_MONDAY} to`);
    const backwards = await analyst.get('/console/reasons?from=2026-01-05&to=2025-06-02');
    expect(backwards.status).toBe(400);
    expect(await backwards.text()).toContain('must not be after');
    // Longer than the calendar is expanded for at once, though the weekly series takes it: a
    // 422, as the API answers a range too large.
    const decades = await analyst.get('/console/reasons?from=2004-01-05&to=2025-01-06');
    expect(decades.status).toBe(422);
    expect(decades.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await decades.text()).toContain('Ask for at most');
    for (const from of ['abc', '0500-01-01', '2025-02-30']) {
      const unreadable = await analyst.get(`/console/spikes?from=${from}&to=2025-06-02`);
      expect(unreadable.status, from).toBe(400);
      expect(await unreadable.text()).toContain('is not a date we can read');
    }
  });

  it('points a report of a period without tickets to where the tickets are, and keeps a refused period in its form', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const last = addWeeks(FIRST_MONDAY, WEEKS - 1);
    const sunday = new Date(Date.parse(last) + 6 * DAY_MS).toISOString().slice(0, 10);
    const before = await (
      await analyst.get('/console/reports?from=2024-01-01&to=2024-03-31')
    ).text();
    expect(before).toContain(
      `No contacts between 2024-01-01 and 2024-03-31: your tickets run from the week of ${FIRST_MONDAY} to the week of ${last}.`,
    );
    expect(before).toContain(
      `href="/console/reports?from=${addWeeks(last, -11)}&amp;to=${sunday}">Show the last 12 weeks of usual volume, to ${sunday}</a>`,
    );
    const covered = await (await analyst.get(`/console/reports?from=${last}&to=${sunday}`)).text();
    expect(covered).not.toContain('your tickets run from');
    const decade = await analyst.get('/console/reports?from=2015-01-05&to=2025-01-06');
    expect(decade.status).toBe(400);
    const refused = await decade.text();
    expect(refused).toContain('a report covers at most');
    expect(refused).toContain('id="from" name="from" value="2015-01-05"');
    expect(refused).toContain('id="to" name="to" value="2025-01-06"');
  });

  it('answers a period it cannot take with a small 400 page naming the parameter, reading nothing for the page', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const execute = vi.spyOn(t.deps.db, 'execute');
    const select = vi.spyOn(t.deps.db, 'select');
    const visit = async (path: string) => {
      execute.mockClear();
      select.mockClear();
      const response = await analyst.get(path);
      return { response, reads: execute.mock.calls.length + select.mock.calls.length };
    };
    try {
      // A console page that reads nothing but the session.
      const nothing = await visit('/console/no-such-page');
      expect(nothing.response.status).toBe(404);
      // The count sees a page's reads: one that reads its spikes makes more.
      const spikes = await visit('/console/spikes?from=2025-06-02&to=2025-06-30');
      expect(spikes.response.status).toBe(200);
      expect(spikes.reads).toBeGreaterThan(nothing.reads + 2);
      const refusals = [
        ['/console/reasons?from=garbage', 'from'],
        ['/console/reasons?reason=refund-requests&to=2025-02-30', 'to'],
        ['/console/reasons?from=2025-06-04&to=2025-06-02', 'from'],
        ['/console/spikes?from=abc', 'from'],
        ['/console/spikes?from=2026-01-05&to=2025-06-02', 'from'],
        ['/console/reports?from=garbage&to=2025-06-02', 'from'],
        ['/console/reports.csv?to=0500-01-01', 'to'],
      ] as const;
      for (const [path, parameter] of refusals) {
        const { response, reads } = await visit(path);
        expect(response.status, path).toBe(400);
        expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
        const markup = await response.text();
        expect(markup, path).toContain(`<code>${parameter}</code>`);
        for (const heavy of ['Preventable patterns', 'Next 90 days', 'Data anomalies', '<svg']) {
          expect(markup, path).not.toContain(heavy);
        }
        expect(reads, path).toBeLessThanOrEqual(nothing.reads);
      }
    } finally {
      execute.mockRestore();
      select.mockRestore();
    }
  });

  it('lets ops run detection on demand', async () => {
    const ops = consoleClient(t);
    await ops.signIn(await t.keyFor('ops'));
    const markup = await (await ops.get('/console/spikes')).text();
    expect(markup).toContain('Run detection now');
    const ran = await ops.post('/console/spikes/detect', { _csrf: ops.csrfOf(markup) });
    expect(ran.status).toBe(303);
    expect(ran.headers.get('location')).toMatch(/^\/console\/spikes\?done=Detection/);
    const refused = await ops.post('/console/spikes/detect', { _csrf: 'forged' });
    expect(refused.status).toBe(403);
  });
});

describe('a history that trails off after its usual volume', () => {
  const USUAL_WEEKS = 60;
  const TRAIL_WEEKS = 8;
  const usualEnd = addWeeks(FIRST_MONDAY, USUAL_WEEKS - 1);
  const lastWeek = addWeeks(FIRST_MONDAY, USUAL_WEEKS + TRAIL_WEEKS - 1);
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    // Twenty contacts a week for 60 weeks, then one a week: what an export's stragglers look like.
    const tickets = Array.from({ length: USUAL_WEEKS + TRAIL_WEEKS }, (_, w) => {
      const monday = addWeeks(FIRST_MONDAY, w);
      return Array.from({ length: w < USUAL_WEEKS ? 20 : 1 }, (_, i) =>
        ticket(`${w}-${i}`, {
          reason: 'Refund requests',
          created_at: new Date(Date.parse(`${monday}T09:00:00Z`) + (i % 5) * DAY_MS).toISOString(),
        }),
      );
    }).flat();
    t.clock.set(`${addWeeks(lastWeek, 30)}T06:00:00Z`);
    await ingestAll(t, tickets);
    await refreshVerdicts(t.deps);
  }, 120_000);
  afterAll(() => t.close());

  const data = {
    first_week: FIRST_MONDAY,
    last_week: lastWeek,
    usual_through: usualEnd,
    after_usual: { weeks: TRAIL_WEEKS, contacts: TRAIL_WEEKS, usual_weekly: 20 },
  };

  it('ends the default windows of the API at the last week of usual volume, and says so', async () => {
    const weekly = await readJson(await t.request('/v1/reasons/weekly'));
    expect(weekly).toMatchObject({ anchored_to: 'end_of_usual_volume', data });
    expect(weekly.weeks.at(-1)).toBe(usualEnd);
    const spikes = await readJson(await t.request('/v1/spikes'));
    expect(spikes).toMatchObject({ to: usualEnd, computed_through: lastWeek, data });
    expect((await readJson(await t.request('/v1/patterns'))).to).toBe(usualEnd);
    const asked = await readJson(await t.request(`/v1/patterns?as_of=${lastWeek}`));
    expect(asked.to).toBe(lastWeek);
    // Asked for, the trail is there.
    const trail = await readJson(await t.request(`/v1/reasons/weekly?to=${lastWeek}`));
    expect(trail.series[0].counts.slice(-TRAIL_WEEKS)).toEqual(Array(TRAIL_WEEKS).fill(1));
  });

  it('tells the console reader what came after, with a link to it', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const after = `from=${addWeeks(usualEnd, 1)}&amp;to=${lastWeek}`;
    for (const page of ['/console/spikes', '/console/reasons']) {
      const markup = await (await analyst.get(page)).text();
      expect(markup, page).toContain(`id="to" name="to" value="${usualEnd}"`);
      expect(markup, page).toContain(
        `After the week of ${usualEnd}, contacts fall to about 1 a week (8 in 8 weeks, up to ${lastWeek}), against about 20 a week before`,
      );
      expect(markup, page).toContain(`href="${page}?${after}">Show the weeks after it`);
      // Once the reader asks for the weeks after, the note has said what it had to.
      const later = await (await analyst.get(`${page}?${after.replace('&amp;', '&')}`)).text();
      expect(later, page).not.toContain('contacts fall to about');
    }
  });
});

describe('reasons that fell silent', () => {
  const WEEKS_SHOWN = 70;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const weekOf = (w: number, i: number) =>
      new Date(
        Date.parse(`${addWeeks(FIRST_MONDAY, w)}T09:00:00Z`) + (i % 5) * DAY_MS,
      ).toISOString();
    const tickets = Array.from({ length: WEEKS_SHOWN }, (_, w) => [
      ...Array.from({ length: 10 }, (_, i) =>
        ticket(`steady-${w}-${i}`, { reason: 'Refund requests', created_at: weekOf(w, i) }),
      ),
      // Retired after its first months: nothing in the last year.
      ...(w < 12
        ? [ticket(`legacy-${w}`, { reason: 'Legacy plan', created_at: weekOf(w, 1) })]
        : []),
      // Still seen now and then, less than before.
      ...([2, 8, 14, 30, 50].includes(w)
        ? [ticket(`rare-${w}`, { reason: 'Fax orders', created_at: weekOf(w, 2) })]
        : []),
    ]).flat();
    t.clock.set(`${addWeeks(FIRST_MONDAY, WEEKS_SHOWN)}T06:00:00Z`);
    await ingestAll(t, tickets);
    await refreshVerdicts(t.deps);
  }, 120_000);
  afterAll(() => t.close());

  it('folds reasons without a contact in the year away from those gone quiet or rare', async () => {
    const report = await readJson(await t.request('/v1/spikes'));
    expect(report.insufficient_history).toEqual([
      expect.objectContaining({ reason: 'fax-orders', went_quiet: true }),
      expect.objectContaining({ reason: 'legacy-plan', history_weeks: 0, went_quiet: true }),
    ]);
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const markup = await (await analyst.get('/console/spikes')).text();
    const gone = markup.slice(markup.indexOf('Gone quiet or rare:'));
    expect(gone.slice(0, gone.indexOf('</p>'))).toContain('<bdi>Fax orders</bdi> (');
    expect(gone.slice(0, gone.indexOf('</p>'))).not.toContain('Legacy plan');
    expect(markup).toMatch(
      /<details><summary>1 reason had no contact in the year before the last week shown<\/summary><p><bdi>Legacy plan<\/bdi><\/p><\/details>/,
    );
  });
});
