import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlappingObservational } from '../../../src/modules/reports/observational-overlap';
import { createCampaign } from '../../helpers/campaigns';
import { startPacedApp } from '../../helpers/paced-app';
import { readJson } from '../../helpers/read-json';

// Weeks are numbered from 2023-03-06: three years of billing contacts, then the campaigns.
const monday = (week: number) =>
  new Date(Date.parse('2023-03-06T00:00:00Z') + week * 7 * 86_400_000);
const at = (week: number, hours: number) =>
  new Date(monday(week).getTime() + hours * 3_600_000).toISOString();

const paced = await startPacedApp(40);

describe('the observational total of the leaders’ report', { timeout: paced.timeout }, () => {
  const t = paced.t;
  let analystKey: string;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    analystKey = await t.keyFor('analyst');
    const tickets: Record<string, string>[] = [];
    for (let week = 0; week < 165; week++) {
      const count = 30 + ((week * 7) % 11) - 5;
      for (let k = 0; k < count; k++) {
        tickets.push({
          source: 'log',
          external_id: `${week}-${k}`,
          account_id: `a-${k}`,
          reason: 'Billing',
          created_at: at(week, (k % 5) * 24 + 1),
        });
      }
    }
    t.clock.set(monday(166));
    for (let i = 0; i < tickets.length; i += 5_000) {
      const batch = tickets.slice(i, i + 5_000);
      expect(
        (await t.request('/v1/tickets', { method: 'POST', json: { tickets: batch } })).status,
      ).toBe(200);
    }
    // An incident's banner, published again when the incident reopened three days later, and
    // a later banner on the same reason whose window overlaps neither; each published as it
    // starts (a campaign reaches accounts from its publication).
    for (const [name, starts, ends] of [
      ['incident', at(156, 9), at(157, 9)],
      ['reopened', at(156, 81), at(157, 81)],
      ['later', at(161, 9), at(162, 9)],
    ] as const) {
      t.clock.set(starts);
      const campaign = await createCampaign(t, {
        channels: ['banner'],
        title: name,
        target_reasons: ['billing'],
        starts_at: starts,
        ends_at: ends,
      });
      ids[name] = campaign.id;
    }
    t.clock.set(monday(166));
  }, paced.hookTimeout);
  afterAll(() => t.close());

  it('leaves out the campaigns whose estimates claim the same contacts, instead of counting them twice, and says so', async () => {
    const period = `from=${at(156, 0).slice(0, 10)}&to=${at(165, 0).slice(0, 10)}`;
    const report = await readJson(
      await t.request(`/v1/reports/prevented-contacts?${period}`, { key: analystKey }),
    );
    const prevented = (name: string) =>
      report.campaigns.find((c: { id: string }) => c.id === ids[name])?.prevented;
    for (const name of ['incident', 'reopened', 'later']) expect(prevented(name)).not.toBeNull();
    // The two overlapping estimates claim the same contacts: out of the total, which is the
    // later campaign's alone.
    expect(report.totals.observational_overlapping).toBe(2);
    expect(report.totals.prevented_observational.estimate).toBe(prevented('later').estimate);

    const note =
      '2 campaigns without a holdout are left out of this figure: their windows and target ' +
      'reasons overlap another’s, so their estimates claim the same contacts.';
    const page = await (
      await t.request(`/v1/reports/prevented-contacts?${period}&format=html`, { key: analystKey })
    ).text();
    expect(page).toContain(note);
    // The CSV's observational total row says it as well, beside the figure it qualifies.
    const csv: Record<string, string>[] = parse(
      await (
        await t.request(`/v1/reports/prevented-contacts?${period}&format=csv`, { key: analystKey })
      ).text(),
      { columns: true },
    );
    expect(csv.find((row) => row.section === 'total_observational')).toMatchObject({
      prevented: String(report.totals.prevented_observational.estimate),
      note,
    });
  });
});

describe('which observational estimates overlap', () => {
  const campaign = (id: string, measuredFrom: string, windowEnds: string, startsAt: string) => ({
    id,
    starts_at: startsAt,
    exposure: { measured_from: measuredFrom, ends_at: null, note: null },
    window_ends_at: windowEnds,
    target_reasons: ['billing'],
  });

  it('compares the periods measured, not the planned ones', () => {
    // Planned for 10 March, its email sent on 1 March, cancelled on 3 March: measured from
    // 1 March, so it claims the same contacts as a campaign measured until 8 March.
    const cancelled = campaign(
      'a',
      '2026-03-01T00:00:00Z',
      '2026-03-17T00:00:00Z',
      '2026-03-10T00:00:00Z',
    );
    const before = campaign(
      'b',
      '2026-02-20T00:00:00Z',
      '2026-03-08T00:00:00Z',
      '2026-02-20T00:00:00Z',
    );
    expect([...overlappingObservational([cancelled, before])].sort()).toEqual(['a', 'b']);
    // Back-dated to 1 January but published on 20 January: measured from then, after a
    // campaign measured 2 to 19 January.
    const backDated = campaign(
      'c',
      '2026-01-20T00:00:00Z',
      '2026-02-03T00:00:00Z',
      '2026-01-01T00:00:00Z',
    );
    const earlier = campaign(
      'd',
      '2026-01-02T00:00:00Z',
      '2026-01-19T00:00:00Z',
      '2026-01-02T00:00:00Z',
    );
    expect([...overlappingObservational([backDated, earlier])]).toEqual([]);
  });
});
