import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addWeeks } from '../../../src/modules/reasons/weeks';
import { refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { simulateWorkspace } from '../../bench/support-data';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, ticket } from '../../helpers/tickets';

const FIRST_MONDAY = '2024-01-01';
const WEEKS = 104;
const SPIKE_WEEK = 90;

type Spike = {
  reason: string;
  week: string;
  observed: number;
  expected: number;
  usual: number;
  probability: number;
  events: { title: string }[];
};

/**
 * An event on every day (a daily deploy) touches every week: it cannot be told apart from the
 * usual level, so it must neither take the weeks it touches out of the baselines nor claim
 * any excess. Adding one with no affected reasons leaves every verdict as it was.
 */
describe('a daily event with no affected reasons', () => {
  let t: TestApp;
  const to = addWeeks(FIRST_MONDAY, WEEKS - 1);
  const spikeMonday = addWeeks(FIRST_MONDAY, SPIKE_WEEK);
  const spikes = async (): Promise<Spike[]> =>
    (await readJson(await t.request(`/v1/spikes?from=${FIRST_MONDAY}&to=${to}`))).spikes as Spike[];

  beforeAll(async () => {
    t = await startTestApp();
    const ws = simulateWorkspace({ seed: 11, years: 2, perTier: 1 });
    const medium = ws.reasons.find((r) => r.tier === 'medium');
    if (!medium) throw new Error('the simulated workspace has no medium reason');
    let id = 0;
    const tickets = ws.reasons.flatMap((r) =>
      Array.from({ length: WEEKS }, (_, w) => {
        // A clear spike: the medium reason's week 90 at three times its usual volume.
        const count =
          r === medium && w === SPIKE_WEEK
            ? 3 * Math.round(r.expected[w] ?? 0)
            : (r.counts[w] ?? 0);
        const monday = addWeeks(FIRST_MONDAY, w);
        return Array.from({ length: count }, (_, i) =>
          ticket(id++, {
            reason: r.reason,
            account_id: `a${i % 40}`,
            created_at: `${monday}T${String(8 + (i % 9)).padStart(2, '0')}:00:00Z`,
          }),
        );
      }).flat(),
    );
    await ingestAll(t, tickets);
    t.clock.set(`${addWeeks(FIRST_MONDAY, WEEKS)}T06:00:00Z`);
    await refreshVerdicts(t.deps);
  }, 120_000);
  afterAll(() => t.close());

  it('changes no verdict and explains nothing', async () => {
    const before = await spikes();
    expect(before.map((s) => s.week)).toContain(spikeMonday);

    const created = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'release',
        title: 'Daily deploy',
        starts_at: '2023-06-01T14:00:00Z',
        ends_at: '2023-06-01T15:00:00Z',
        rrule: 'FREQ=DAILY',
      },
    });
    expect(created.status).toBe(201);
    await refreshVerdicts(t.deps);

    const after = await spikes();
    expect(after).toEqual(before);
    expect(after.flatMap((s) => s.events.map((e) => e.title))).not.toContain('Daily deploy');
  });

  it('recomputes every stored verdict once after an upgrade from an earlier method', async () => {
    const before = await spikes();
    await t.deps.db.execute(
      sql`update workspace_settings set value = '1' where key = 'spike_method'`,
    );
    expect(await refreshVerdicts(t.deps)).toEqual({ reasons: 3 });
    expect(await refreshVerdicts(t.deps)).toEqual({ reasons: 0 });
    expect(await spikes()).toEqual(before);
  });
});
