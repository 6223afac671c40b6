import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addWeeks } from '../../../src/modules/reasons/weeks';
import { refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, ticket } from '../../helpers/tickets';

const FIRST_MONDAY = '2025-01-06';
const WEEKS = 60;
const SPIKE_WEEK = 40;

type Spike = { week: string; reason: string; events: { title: string }[] };

/**
 * Stored verdicts are recomputed from the earliest week a change to an event touches: that is
 * its earliest start, which for a recurring event may be an extra start before `starts_at`.
 */
describe('stored verdicts after an event with an extra start before its first', () => {
  let t: TestApp;
  const spikeMonday = addWeeks(FIRST_MONDAY, SPIKE_WEEK);
  const event = {
    kind: 'release',
    title: 'Card reissue',
    // The rule starts well after the spike; only the extra start falls in its week.
    starts_at: `${addWeeks(FIRST_MONDAY, 52)}T09:00:00Z`,
    ends_at: `${addWeeks(FIRST_MONDAY, 52)}T17:00:00Z`,
    rrule: 'FREQ=YEARLY',
    extra_starts: [`${spikeMonday}T09:00:00Z`],
    affected_reasons: ['Billing'],
  };

  const spikeAt = async (week: string): Promise<Spike | undefined> => {
    const report = await readJson(
      await t.request(`/v1/spikes?from=${FIRST_MONDAY}&to=${addWeeks(FIRST_MONDAY, WEEKS - 1)}`),
    );
    return (report.spikes as Spike[]).find((s) => s.week === week && s.reason === 'billing');
  };

  beforeAll(async () => {
    t = await startTestApp();
    let id = 0;
    const tickets = Array.from({ length: WEEKS }, (_, w) => {
      const count = w === SPIKE_WEEK ? 120 : 30 + ((w * 7) % 5) - 2;
      const monday = addWeeks(FIRST_MONDAY, w);
      return Array.from({ length: count }, (_, i) =>
        ticket(id++, {
          account_id: `a${i % 40}`,
          created_at: `${monday}T${String(8 + (i % 9)).padStart(2, '0')}:00:00Z`,
        }),
      );
    }).flat();
    await ingestAll(t, tickets);
    t.clock.set(`${addWeeks(FIRST_MONDAY, WEEKS)}T06:00:00Z`);
    await refreshVerdicts(t.deps);
  }, 60_000);
  afterAll(() => t.close());

  it('explains the earlier week once the event is added, and no longer once the extra start is removed', async () => {
    expect((await spikeAt(spikeMonday))?.events).toEqual([]);

    const created = await t.request('/v1/events', { method: 'POST', json: event });
    expect(created.status).toBe(201);
    const { id } = await readJson(created);
    await refreshVerdicts(t.deps);
    expect((await spikeAt(spikeMonday))?.events.map((e) => e.title)).toEqual(['Card reissue']);

    const edited = await t.request(`/v1/events/${id}`, {
      method: 'PUT',
      json: { ...event, extra_starts: [] },
    });
    expect(edited.status).toBe(200);
    await refreshVerdicts(t.deps);
    expect((await spikeAt(spikeMonday))?.events).toEqual([]);
  });

  it('does the same for an .ics feed imported again without the RDATE', async () => {
    const basic = (day: string) => day.replaceAll('-', '');
    const feed = (...lines: string[]) =>
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'BEGIN:VEVENT',
        'UID:reissue@feed',
        'SUMMARY:Feed reissue',
        `DTSTART:${basic(addWeeks(FIRST_MONDAY, 52))}T090000Z`,
        `DTEND:${basic(addWeeks(FIRST_MONDAY, 52))}T170000Z`,
        'RRULE:FREQ=YEARLY',
        ...lines,
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n');
    const importFeed = async (text: string) => {
      const response = await t.request('/v1/events/ics', {
        method: 'POST',
        body: text,
        headers: { 'content-type': 'text/calendar' },
      });
      expect(response.status).toBe(200);
      await refreshVerdicts(t.deps);
    };

    await importFeed(feed(`RDATE:${basic(spikeMonday)}T090000Z`));
    expect((await spikeAt(spikeMonday))?.events.map((e) => e.title)).toEqual(['Feed reissue']);
    await importFeed(feed());
    expect((await spikeAt(spikeMonday))?.events).toEqual([]);
  });
});
