import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonVerdicts } from '../../../src/db/schema';
import { addWeeks } from '../../../src/modules/reasons/weeks';
import { recomputeAll, refreshVerdicts } from '../../../src/modules/spikes/refresh-verdicts';
import { simulateWorkspace } from '../../bench/support-data';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, ticket } from '../../helpers/tickets';

const FIRST_MONDAY = '2024-01-01';
const WEEKS = 104;

type Snapshot = { status: string; usual: number; probability: number; spikes: string[] };

describe('stored spike verdicts', () => {
  let t: TestApp;
  const weekly = new Map<string, Snapshot>();

  async function snapshot(week: string, index: number): Promise<Snapshot> {
    const rows = (await t.deps.db.select().from(reasonVerdicts)).sort((a, b) =>
      a.reasonSlug.localeCompare(b.reasonSlug),
    );
    const report = await readJson(await t.request(`/v1/spikes?from=${week}&to=${week}`));
    return {
      status: rows
        .map((r) => `${r.reasonSlug}:${r.status.split('|')[0]?.[index]}`)
        .sort()
        .join(),
      usual: rows.reduce((sum, r) => sum + (r.usual[index] ?? 0), 0),
      probability: rows.reduce((sum, r) => sum + (r.probability[index] ?? 0), 0),
      spikes: report.spikes.map((s: { reason: string }) => s.reason).sort(),
    };
  }

  beforeAll(async () => {
    t = await startTestApp();
    const ws = simulateWorkspace({ seed: 11, years: 2, perTier: 1 });
    let id = 0;
    // Every Monday the job sees one more week of tickets and computes that week's verdicts.
    for (let w = 0; w < WEEKS; w++) {
      const monday = addWeeks(FIRST_MONDAY, w);
      const tickets = ws.reasons.flatMap((r) =>
        Array.from({ length: r.counts[w] ?? 0 }, (_, i) =>
          ticket(id++, {
            reason: r.reason,
            account_id: `a${i % 40}`,
            created_at: `${addWeeks(monday, 0)}T${String(8 + (i % 9)).padStart(2, '0')}:00:00Z`,
          }),
        ),
      );
      if (tickets.length > 0) await ingestAll(t, tickets);
      t.clock.set(`${addWeeks(monday, 1)}T06:00:00Z`);
      await refreshVerdicts(t.deps);
      weekly.set(monday, await snapshot(monday, w));
    }
  }, 240_000);
  afterAll(() => t.close());

  it("keeps each week's verdict as the Monday job computed it, whatever is recomputed later", async () => {
    await recomputeAll(t.deps);
    await refreshVerdicts(t.deps);
    let tested = 0;
    for (let w = 0; w < WEEKS; w++) {
      const monday = addWeeks(FIRST_MONDAY, w);
      const now = await snapshot(monday, w);
      expect(now, monday).toEqual(weekly.get(monday));
      if (now.status.includes(':t')) tested++;
    }
    expect(tested).toBeGreaterThan(60);
  });

  it('answers the same verdicts whatever the range asked for', async () => {
    const wide = await readJson(await t.request(`/v1/spikes?from=2024-01-01&to=2025-12-22`));
    const narrow = await readJson(await t.request(`/v1/spikes?from=2025-03-03&to=2025-12-22`));
    const inNarrow = wide.spikes.filter((s: { week: string }) => s.week >= '2025-03-03');
    expect(narrow.spikes).toEqual(inNarrow);
    expect(wide.spikes.length).toBeGreaterThan(0);
  });

  it('rewrites only the verdicts a recompute changed: none when nothing did, one reason after its tickets', async () => {
    const computedAt = async () =>
      new Map(
        (await t.deps.db.select().from(reasonVerdicts)).map((r) => [
          r.reasonSlug,
          r.computedAt.toISOString(),
        ]),
      );
    const before = await computedAt();
    t.clock.set('2026-01-01T12:00:00Z');
    await recomputeAll(t.deps);
    await refreshVerdicts(t.deps);
    expect(await computedAt()).toEqual(before);

    const [reason] = [...before.keys()].sort();
    await ingestAll(t, [
      ticket(10_000_000, { reason, account_id: 'a1', created_at: '2025-12-16T09:00:00Z' }),
    ]);
    await refreshVerdicts(t.deps);
    const after = await computedAt();
    const rewritten = [...after].filter(([slug, at]) => before.get(slug) !== at).map(([s]) => s);
    expect(rewritten).toEqual([reason]);
  });
});
