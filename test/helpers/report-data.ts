import { expect } from 'vitest';
import { isHeldOut } from '../../src/modules/campaigns/holdout';
import { createCampaign } from './campaigns';
import type { TestApp } from './test-app';

/** Nine reasons with labels as long as real ones, so legends wrap and axis labels run long. */
export const REPORT_REASONS = [
  'Invoices and billing questions after a plan change',
  'Shipping delays',
  'Password reset email never arrives',
  'Refund status',
  'Two-factor authentication lockout',
  'Data export to CSV fails',
  'Mobile app crashes on start',
  'Cancel subscription',
  'API rate limit errors',
];

const WEEKS = [
  '2026-01-05',
  '2026-01-12',
  '2026-01-19',
  '2026-01-26',
  '2026-02-02',
  '2026-02-09',
  '2026-02-16',
  '2026-02-23',
  '2026-03-02',
  '2026-03-09',
  '2026-03-16',
  '2026-03-23',
];

/**
 * A workspace with twelve weeks of contacts over nine reasons and one banner campaign (20%
 * held out, 2–9 March) that prevents billing contacts; its measurement window runs 14 days
 * past its end, to 23 March, so a report to 15 March leaves part of the window outside.
 */
export async function seedReportData(t: TestApp, accounts = 400) {
  const appKey = await t.keyFor('app');
  await t.request('/v1/accounts/batch', {
    method: 'POST',
    json: { accounts: Array.from({ length: accounts }, (_, i) => ({ id: `a-${i}` })) },
  });
  const billing = 'invoices-and-billing-questions-after-a-plan-change';
  await t.request(`/v1/reasons/${billing}`, {
    method: 'PUT',
    json: { label: REPORT_REASONS[0] },
  });
  const campaign = await createCampaign(t, {
    channels: ['banner'],
    title: 'New invoice layout explained in the billing page banner',
    target_reasons: [billing],
    holdout_percent: 20,
    starts_at: '2026-03-02T09:00:00Z',
    ends_at: '2026-03-09T09:00:00Z',
  });
  for (let i = 0; i < accounts; i++) {
    await t.request(`/v1/accounts/a-${i}/notices`, { key: appKey });
  }
  await t.deps.notices.exposures.flush();

  const tickets: Record<string, unknown>[] = [];
  const ticket = (account: number, reason: string, day: string, id: string) =>
    tickets.push({
      source: 'test',
      external_id: id,
      account_id: `a-${account}`,
      reason,
      created_at: `${day}T10:00:00Z`,
      resolved_at: `${day}T13:00:00Z`,
    });
  // Background contacts: every reason every week, spread over the accounts.
  WEEKS.forEach((week, w) => {
    REPORT_REASONS.forEach((reason, r) => {
      const count = 3 + ((w * 7 + r * 5) % 9);
      for (let k = 0; k < count; k++) {
        ticket((w * 31 + r * 17 + k * 13) % accounts, reason, week, `bg-${w}-${r}-${k}`);
      }
    });
  });
  // The campaign's effect: held-out accounts contact billing about it, in its week and after.
  for (let i = 0; i < accounts; i++) {
    const heldOut = isHeldOut(campaign.id, `a-${i}`, 20);
    if (heldOut ? i % 2 === 0 : i % 10 === 0)
      ticket(i, REPORT_REASONS[0] ?? '', '2026-03-04', `c-${i}`);
    if (heldOut && i % 4 === 0) ticket(i, REPORT_REASONS[0] ?? '', '2026-03-17', `d-${i}`);
  }
  t.clock.set('2026-03-30T00:00:00Z');
  const ingest = await t.request('/v1/tickets', { method: 'POST', json: { tickets } });
  expect(ingest.status).toBe(200);
  await t.settle();
  return { campaignId: campaign.id as string };
}
