import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { addWeeks } from '../../../src/modules/reasons/weeks';
import type { DetectionRunner } from '../../../src/modules/spikes/detection-job';
import { refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { createTestClock } from '../../helpers/test-clock';
import { ingestAll, ticket } from '../../helpers/tickets';

describe('the detection lease after a crash', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2026-05-25T09:00:00Z');
    const tickets = Array.from({ length: 20 }, (_, week) =>
      Array.from({ length: 3 + (week % 4) }, (_, i) =>
        ticket(`${week}-${i}`, {
          reason: i % 2 ? 'Billing' : 'Login',
          created_at: `${addWeeks('2026-01-05', week)}T10:00:00Z`,
        }),
      ),
    ).flat();
    await ingestAll(t, tickets);
  });
  afterAll(() => t.close());

  const pendingChanges = async () =>
    rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from detection_changes`),
    )[0]?.n;

  it('lets the next refresh run a minute after the process holding it died mid-refresh', async () => {
    // A refresh whose process died while its verdicts were being fitted: the fit never ends,
    // and its clock stands still, as a dead process renews nothing.
    const neverFinishes: DetectionRunner = () => new Promise(() => {});
    const dead = { ...t.deps, clock: createTestClock(t.clock.now()), detection: neverFinishes };
    void refreshVerdicts(dead);
    for (let tries = 0; tries < 400; tries++) {
      const [lease] = rowsOf(
        await t.deps.db.execute(
          sql`select 1 from workspace_settings where key = 'detection_lease'`,
        ),
      );
      if (lease) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await pendingChanges()).toBeGreaterThan(0);
    expect((await refreshVerdicts(t.deps)).reasons).toBe(0);

    t.clock.advance(90_000);
    expect((await refreshVerdicts(t.deps)).reasons).toBe(2);
    expect(await pendingChanges()).toBe(0);
    const spikes = await readJson(await t.request('/v1/spikes'));
    expect(spikes.pending).toBe(false);
  });
});
