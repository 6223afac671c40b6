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
