import { expect } from 'vitest';
import type { TestApp } from './test-app';

/** Stores accounts through POST /v1/accounts/batch, which must accept them all. */
export async function postAccounts(t: TestApp, accounts: unknown[]): Promise<void> {
  const response = await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** Stores `n` accounts `${prefix}-0`… each with one contact, `person${i}@example.com`. */
export async function accountsWithEmails(t: TestApp, n: number, prefix = 'a'): Promise<void> {
  await postAccounts(
    t,
    Array.from({ length: n }, (_, i) => ({
      id: `${prefix}-${i}`,
      contacts: [{ email: `person${i}@example.com` }],
    })),
  );
}
