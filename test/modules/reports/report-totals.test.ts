import { describe, expect, it } from 'vitest';
import { addAccount, emptyMoments } from '../../../src/modules/impact/account-moments';
import type {
  CampaignMeasurement,
  GroupMeasurement,
} from '../../../src/modules/impact/campaign-measurements';
import { noContacts } from '../../../src/modules/reports/period-metrics';
import {
  assembleReport,
  type ReportCampaignRow,
} from '../../../src/modules/reports/report-assembly';

type Counts = { target: number; every: number };

/** A group of accounts whose counts cycle through `pattern`, all with 3-week windows. */
function measuredGroup(accounts: number, pattern: Counts[]): GroupMeasurement {
  const moments = emptyMoments();
  let contacts = 0;
  let targetContacts = 0;
  for (let i = 0; i < accounts; i++) {
    const { target, every } = pattern[i % pattern.length] as Counts;
    addAccount(moments, [target, every, 0, 0, 3]);
    contacts += every;
    targetContacts += target;
  }
  return {
    accounts,
    moments,
    contacts,
    targetContacts,
    recontacts: 0,
    resolved: 0,
    csat: { responses: 0, satisfied: 0 },
    firstResponse: { answered: 0, medianHours: null, p90Hours: null },
    churned: 0,
    downgraded: 0,
    emailedAnyway: 0,
  };
}

const measurement = (treated: GroupMeasurement, holdout: GroupMeasurement) =>
  ({ groups: { treated, holdout }, weeks: new Map(), reasons: new Map() }) as CampaignMeasurement;

const campaign = (id: string): ReportCampaignRow => ({
  id,
  title: id,
  channels: ['banner'],
  startsAt: new Date('2026-03-02T09:00:00Z'),
  endsAt: new Date('2026-03-09T09:00:00Z'),
  publishedAt: new Date('2026-03-01T09:00:00Z'),
  cancelledAt: null,
  updatedAt: new Date('2026-03-01T09:00:00Z'),
  targetReasons: ['billing'],
  holdoutPercent: 20,
  eventId: null,
});

describe("the report's totals", () => {
  it('sums target and shifted contacts over the same campaigns, so "of which shifted" holds', () => {
    // Both answered: billing halves, nothing moves elsewhere.
    const both = measurement(
      measuredGroup(2_000, [
        { target: 1, every: 2 },
        { target: 0, every: 0 },
        { target: 0, every: 1 },
        { target: 0, every: 0 },
      ]),
      measuredGroup(2_000, [
        { target: 1, every: 2 },
        { target: 0, every: 0 },
        { target: 1, every: 2 },
        { target: 0, every: 0 },
      ]),
    );
    // Target answered, net refused: one held-out account in 100 wrote 60 times about other things.
    const targetOnly = measurement(
      measuredGroup(800, [
        { target: 1, every: 1 },
        { target: 0, every: 0 },
        { target: 0, every: 0 },
        { target: 0, every: 0 },
      ]),
      measuredGroup(200, [
        { target: 1, every: 60 },
        ...Array.from({ length: 99 }, (_, i) => ({ target: i % 2, every: i % 2 })),
      ]),
    );
    // Net answered, target refused: a target contact in one held-out account of 100.
    const netOnly = measurement(
      measuredGroup(800, [
        { target: 0, every: 1 },
        { target: 0, every: 0 },
      ]),
      measuredGroup(200, [
        { target: 1, every: 1 },
        ...Array.from({ length: 99 }, (_, i) => ({ target: 0, every: i % 2 })),
      ]),
    );
    const report = assembleReport({
      fromDay: '2026-03-01',
      toDay: '2026-03-31',
      zone: 'UTC',
      currency: 'USD',
      perTicket: 900,
      windowDays: 14,
      now: new Date('2026-04-15T00:00:00Z'),
      campaigns: [campaign('both'), campaign('target-only'), campaign('net-only')],
      stored: new Map(),
      measured: new Map([
        ['both', both],
        ['target-only', targetOnly],
        ['net-only', netOnly],
      ]),
      observational: new Map(),
      period: { total: noContacts(), byReason: new Map(), byWeek: new Map() },
    });
    const [first, second, third] = report.campaigns;
    expect(first?.shifted).not.toBeNull();
    expect(second?.target_prevented?.estimate).toBeGreaterThan(100);
    expect(second?.prevented).toBeNull();
    expect(third?.prevented).not.toBeNull();
    expect(third?.target_prevented).toBeNull();
    const { totals } = report;
    expect(totals.prevented.estimate).toBeCloseTo(
      (first?.prevented?.estimate ?? 0) + (third?.prevented?.estimate ?? 0),
      9,
    );
    // Target contacts prevented, of which shifted: over the campaigns with both answers, so
    // what is left is their net prevented contacts.
    expect(totals.target_prevented.estimate).toBeCloseTo(first?.target_prevented?.estimate ?? 0, 9);
    expect(totals.target_prevented.estimate - totals.shifted.estimate).toBeCloseTo(
      first?.prevented?.estimate ?? 0,
      9,
    );
  });
});
