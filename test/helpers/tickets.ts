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
