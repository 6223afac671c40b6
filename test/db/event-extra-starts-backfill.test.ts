import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { migrateDatabase } from '../../src/db/migrate';
import { addWeeks } from '../../src/modules/reasons/weeks';
import { refreshVerdicts } from '../../src/modules/spikes/refresh-verdicts';
import { migrateEmptyDatabaseTo } from '../helpers/migrate-to';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createTestDatabase } from '../helpers/test-database';
import { ingestAll, ticket } from '../helpers/tickets';

const FIRST_MONDAY = '2025-01-06';
const WEEKS = 60;
const SPIKE_WEEK = 40;

type Spike = { week: string; reason: string; events: { title: string }[] };

/**
 * Migration 0025 made an event's extra starts (RDATEs) before its starts_at touch the verdicts
 * of their weeks, and recomputes once the weeks of events stored before it with such a start.
 * Here the events are stored by the app over a database of migration 0024, as a release of
 * that time stored them, and 0025 is applied as the next start applies it.
 */
describe('migration 0025 over events stored before it', () => {
  let t: TestApp;
  const spikeMonday = addWeeks(FIRST_MONDAY, SPIKE_WEEK);
  const lateRuleStart = `${addWeeks(FIRST_MONDAY, 52)}T09:00:00Z`;
  const lateRuleEnd = `${addWeeks(FIRST_MONDAY, 52)}T17:00:00Z`;

  const spikeAt = async (week: string): Promise<Spike | undefined> => {
    const report = await readJson(
      await t.request(`/v1/spikes?from=${FIRST_MONDAY}&to=${addWeeks(FIRST_MONDAY, WEEKS - 1)}`),
    );
    return (report.spikes as Spike[]).find((s) => s.week === week && s.reason === 'billing');
  };
  const queued = async () =>
    rowsOf<{ reason_slug: string | null; from_week: string }>(
      await t.deps.db.execute(
        sql`select reason_slug, from_week::text as from_week from detection_changes order by id`,
      ),
    );

  beforeAll(async () => {
    const database = await createTestDatabase();
    await migrateEmptyDatabaseTo(database, '0024_campaigns_event_index');
    // Today's code reads events.version, which 0027 adds, and writes tickets.source_updated_at,
    // which 0033 adds: the columns stand in for the steps run over 0024 and are dropped before
    // the later migrations add them (0025 reads neither).
    await database.db.execute(
      sql`alter table events add column version integer not null default 1`,
    );
    await database.db.execute(sql`alter table tickets add column source_updated_at timestamptz`);
    t = await startTestApp({ database });
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
  afterAll(() => t?.close());

  it('recomputes from the extra start the weeks 0024 left stale, and only those', async () => {
    const created = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'release',
        title: 'Card reissue',
        // The rule starts well after the spike; only the extra start falls in its week.
        starts_at: lateRuleStart,
        ends_at: lateRuleEnd,
        lead_days: 2,
        rrule: 'FREQ=YEARLY',
        extra_starts: [`${spikeMonday}T09:00:00Z`],
        affected_reasons: ['Billing'],
      },
    });
    expect(created.status).toBe(201);
    // An extra start after starts_at: 0024 already recomputed from starts_at, early enough.
    const later = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'maintenance',
        title: 'Login upgrade',
        starts_at: `${addWeeks(FIRST_MONDAY, 44)}T09:00:00Z`,
        ends_at: `${addWeeks(FIRST_MONDAY, 44)}T10:00:00Z`,
        rrule: 'FREQ=YEARLY',
        // No reasons named: all of them, which the backfill would queue as a null reason.
        extra_starts: [`${addWeeks(FIRST_MONDAY, 50)}T09:00:00Z`],
      },
    });
    expect(later.status).toBe(201);
    await refreshVerdicts(t.deps);
    // What 0024's trigger left: the spike's week was not recomputed with the event.
    expect((await spikeAt(spikeMonday))?.events).toEqual([]);
    expect(await queued()).toEqual([]);

    await t.deps.db.execute(sql`alter table events drop column version`);
    await t.deps.db.execute(sql`alter table tickets drop column source_updated_at`);
    await migrateDatabase(t.database);

    // For the event's reason only, from a week before its extra start's window: the extra
    // start (Monday 2025-10-13) less its two lead days and seven.
    expect(spikeMonday).toBe('2025-10-13');
    expect(await queued()).toEqual([{ reason_slug: 'billing', from_week: '2025-10-04' }]);
    await refreshVerdicts(t.deps);
    expect((await spikeAt(spikeMonday))?.events.map((e) => e.title)).toEqual(['Card reissue']);
  });
});
