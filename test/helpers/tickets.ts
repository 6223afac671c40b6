import { expect } from 'vitest';
import type { TestApp } from './test-app';

/** A valid ticket for the ingest API; override what the test is about. */
export function ticket(externalId: string | number, overrides: Record<string, unknown> = {}) {
  return {
    source: 'helpdesk',
    external_id: String(externalId),
    account_id: 'acct-1',
    reason: 'Billing',
    created_at: '2026-02-02T10:00:00Z',
    ...overrides,
  };
}

/** Ingests any number of tickets through POST /v1/tickets, 5,000 at a time. */
export async function ingestAll(t: TestApp, tickets: unknown[]): Promise<void> {
  for (let i = 0; i < tickets.length; i += 5_000) {
    const response = await t.request('/v1/tickets', {
      method: 'POST',
      json: { tickets: tickets.slice(i, i + 5_000) },
    });
    expect(response.status).toBe(200);
  }
}

/**
 * 40 weeks of about 20 contacts a week for `reason` from Monday 12 May 2025, then 70 in the
 * week of 16 February 2026: one clear spike. Each ticket at `hourUtc` on a weekday.
 */
export function weeksWithASpike(reason: string, hourUtc = 1) {
  const tickets = [];
  let id = 0;
  for (let week = 0; week < 41; week++) {
    const monday = Date.UTC(2025, 4, 12) + week * 7 * 86_400_000;
    const count = week === 40 ? 70 : 18 + (week % 5);
    for (let i = 0; i < count; i++) {
      tickets.push(
        ticket(id++, {
          reason,
          account_id: `acct-${id}`,
          created_at: new Date(monday + (i % 5) * 86_400_000 + hourUtc * 3_600_000).toISOString(),
        }),
      );
    }
  }
  return tickets;
}
