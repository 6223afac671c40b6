import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

const CALLERS = [0, 1, 2, 3];

/**
 * PUTs racing on one resource: the last to commit is what stays, and each caller is answered
 * with what its own request wrote, not with what a later one wrote over it.
 */
describe('concurrent PUTs on one resource', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers each PUT of an account with the plan and contacts it sent', async () => {
    const answers = await Promise.all(
      CALLERS.map((i) =>
        t.request('/v1/accounts/acct-raced', {
          method: 'PUT',
          json: { plan: `plan-${i}`, contacts: [{ email: `owner-${i}@example.com` }] },
        }),
      ),
    );
    const bodies = await Promise.all(answers.map(readJson));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(bodies.map((b) => [b.plan, b.contacts.map((c: { email: string }) => c.email)])).toEqual(
      CALLERS.map((i) => [`plan-${i}`, [`owner-${i}@example.com`]]),
    );
    const stored = await readJson(await t.request('/v1/accounts/acct-raced'));
    expect(CALLERS.map((i) => `plan-${i}`)).toContain(stored.plan);
  });

  it('answers each PUT of a reason with the label it sent', async () => {
    const answers = await Promise.all(
      CALLERS.map((i) =>
        t.request('/v1/reasons/billing', { method: 'PUT', json: { label: `Billing ${i}` } }),
      ),
    );
    const bodies = await Promise.all(answers.map(readJson));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(bodies.map((b) => b.label)).toEqual(CALLERS.map((i) => `Billing ${i}`));
  });
});
