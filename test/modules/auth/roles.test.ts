import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../src/db/schema';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const MISSING_ID = '0192f0c4-0000-7000-8000-000000000000';

/** Every protected route, with the roles allowed on it (admin is allowed everywhere). */
const PROTECTED_ROUTES: { method: string; path: string; json?: unknown; allowed: Role[] }[] = [
  { method: 'GET', path: '/v1/api-keys', allowed: ['admin'] },
  { method: 'POST', path: '/v1/api-keys', json: { name: 'x', role: 'app' }, allowed: ['admin'] },
  {
    method: 'DELETE',
    path: `/v1/api-keys/${MISSING_ID}`,
    allowed: ['admin'],
  },
  { method: 'GET', path: '/v1/job-runs', allowed: ['admin'] },
  { method: 'POST', path: '/v1/tickets', json: { tickets: [] }, allowed: ['ops'] },
  { method: 'POST', path: '/v1/tickets/import', allowed: ['ops'] },
  { method: 'GET', path: '/v1/reasons', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: '/v1/reasons/weekly', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: '/v1/reasons/{slug}', allowed: ['ops', 'analyst'] },
  { method: 'PUT', path: '/v1/reasons/{slug}', json: { label: 'Billing' }, allowed: ['ops'] },
  { method: 'POST', path: '/v1/events', json: {}, allowed: ['ops'] },
  { method: 'GET', path: '/v1/events', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: '/v1/events/occurrences', allowed: ['ops', 'analyst'] },
  { method: 'POST', path: '/v1/events/holidays', json: {}, allowed: ['ops'] },
  { method: 'POST', path: '/v1/events/ics', allowed: ['ops'] },
  { method: 'GET', path: `/v1/events/${MISSING_ID}`, allowed: ['ops', 'analyst'] },
  { method: 'PUT', path: `/v1/events/${MISSING_ID}`, json: {}, allowed: ['ops'] },
  { method: 'DELETE', path: `/v1/events/${MISSING_ID}`, allowed: ['ops'] },
  { method: 'GET', path: '/v1/spikes', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: '/v1/spikes/alerts', allowed: ['ops', 'analyst'] },
  { method: 'POST', path: '/v1/spikes/recompute', allowed: ['ops'] },
  { method: 'GET', path: '/v1/patterns', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: '/v1/accounts', allowed: ['ops'] },
  { method: 'POST', path: '/v1/accounts/batch', json: {}, allowed: ['ops'] },
  { method: 'GET', path: '/v1/accounts/{id}', allowed: ['ops'] },
  { method: 'PUT', path: '/v1/accounts/{id}', json: { components: 7 }, allowed: ['ops'] },
  { method: 'DELETE', path: '/v1/accounts/{id}', allowed: ['ops'] },
  { method: 'POST', path: '/v1/campaigns', json: {}, allowed: ['ops'] },
  { method: 'GET', path: '/v1/campaigns', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: `/v1/campaigns/${MISSING_ID}`, allowed: ['ops', 'analyst'] },
  { method: 'PATCH', path: `/v1/campaigns/${MISSING_ID}`, json: {}, allowed: ['ops'] },
  { method: 'GET', path: `/v1/campaigns/${MISSING_ID}/audit`, allowed: ['ops', 'analyst'] },
  { method: 'GET', path: '/v1/accounts/{id}/notices', allowed: ['app'] },
  { method: 'POST', path: '/v1/accounts/{id}/notices/{noticeId}/dismiss', allowed: ['app'] },
  { method: 'POST', path: '/v1/accounts/{id}/token', allowed: ['app'] },
  { method: 'POST', path: '/v1/status/components', json: {}, allowed: ['ops'] },
  { method: 'GET', path: '/v1/status/components', allowed: ['ops', 'analyst'] },
  { method: 'PATCH', path: `/v1/status/components/${MISSING_ID}`, json: {}, allowed: ['ops'] },
  { method: 'DELETE', path: `/v1/status/components/${MISSING_ID}`, allowed: ['ops'] },
  { method: 'POST', path: '/v1/status/incidents', json: {}, allowed: ['ops'] },
  { method: 'GET', path: '/v1/status/incidents', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: `/v1/status/incidents/${MISSING_ID}`, allowed: ['ops', 'analyst'] },
  {
    method: 'POST',
    path: `/v1/status/incidents/${MISSING_ID}/updates`,
    json: {},
    allowed: ['ops'],
  },
  { method: 'POST', path: '/v1/status/maintenances', json: {}, allowed: ['ops'] },
  { method: 'GET', path: '/v1/status/maintenances', allowed: ['ops', 'analyst'] },
  { method: 'GET', path: `/v1/status/maintenances/${MISSING_ID}`, allowed: ['ops', 'analyst'] },
  { method: 'POST', path: '/v1/status/webhooks', json: {}, allowed: ['ops'] },
  { method: 'GET', path: '/v1/status/webhooks', allowed: ['ops'] },
  { method: 'DELETE', path: `/v1/status/webhooks/${MISSING_ID}`, allowed: ['ops'] },
  { method: 'GET', path: `/v1/campaigns/${MISSING_ID}/impact`, allowed: ['analyst'] },
  {
    method: 'GET',
    path: `/v1/campaigns/${MISSING_ID}/email-preview?account=a`,
    allowed: ['ops'],
  },
  { method: 'GET', path: `/v1/campaigns/${MISSING_ID}/deliveries`, allowed: ['ops', 'analyst'] },
  { method: 'GET', path: '/v1/outbox', allowed: ['ops'] },
  { method: 'GET', path: '/v1/email-suppressions', allowed: ['ops'] },
  { method: 'DELETE', path: '/v1/email-suppressions/nobody@example.com', allowed: ['ops'] },
  { method: 'GET', path: '/v1/reports/prevented-contacts', allowed: ['analyst'] },
  {
    method: 'POST',
    path: `/v1/status/maintenances/${MISSING_ID}/updates`,
    json: {},
    allowed: ['ops'],
  },
];

/** A requestable path for a documented one: parameters filled with ids that do not exist. */
const concretePath = (path: string) =>
  path
    .replace('{slug}', 'billing')
    .replace('{id}', 'no-such-account')
    .replace('{noticeId}', MISSING_ID);

describe('role-based access', () => {
  let t: TestApp;
  const keys = {} as Record<Role, string>;
  beforeAll(async () => {
    t = await startTestApp();
    for (const role of ROLES) keys[role] = await t.keyFor(role);
  });
  afterAll(() => t.close());

  it('covers every protected route of the OpenAPI document', async () => {
    const document = await readJson(await t.request('/openapi.json'));
    const documented: string[] = [];
    for (const [path, operations] of Object.entries<Record<string, { security?: unknown }>>(
      document.paths,
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.security) documented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    const tested = PROTECTED_ROUTES.map((route) =>
      `${route.method} ${route.path}`
        .replace(MISSING_ID, '{id}')
        .replace('nobody@example.com', '{email}')
        .replace(/\?.*$/, ''),
    );
    expect(new Set(tested).size).toBe(tested.length);
    expect(tested.sort()).toEqual(documented.sort());
  });

  for (const route of PROTECTED_ROUTES) {
    for (const role of ROLES) {
      const allowed = role === 'admin' || route.allowed.includes(role);
      it(`${route.method} ${route.path} ${allowed ? 'admits' : 'refuses'} ${role}`, async () => {
        const response = await t.request(concretePath(route.path), {
          method: route.method,
          json: route.json,
          key: keys[role],
        });
        // Admitted means past the role check: the route itself may still find nothing or
        // reject the (deliberately minimal) body.
        if (allowed) expect([200, 201, 202, 400, 404]).toContain(response.status);
        else await expectProblem(response, 403, 'forbidden');
      });
    }

    it(`${route.method} ${route.path} refuses a request without a key`, async () => {
      const response = await t.request(concretePath(route.path), {
        method: route.method,
        key: null,
      });
      await expectProblem(response, 401, 'unauthorized');
    });
  }
});
