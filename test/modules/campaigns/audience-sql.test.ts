import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import type { Audience } from '../../../src/modules/campaigns/audience';
import { audienceMembers } from '../../../src/modules/campaigns/audience-members';
import { audienceCondition } from '../../../src/modules/campaigns/audience-sql';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PLANS = ['Pro', 'enterprise', 'FREE', null];
const REGIONS = ['eu-west', 'US-East', null];
const COMPONENTS = [[], ['API'], ['api', 'Billing'], ['Dashboard']];
const ATTRIBUTES = [
  {},
  { seats: 40, tier: 'Gold', beta: true },
  { seats: 5, tier: 'silver', tags: ['Early', 3], nested: { team: 'Ops' } },
  { seats: '40', tier: null, tags: [], nested: ['team'] },
  { beta: false, nested: { team: 'ops', size: 7 } },
];

/** Rules over every operator, value type and attribute kind the audience language has. */
const RULES: Audience[] = [
  { type: 'all' },
  { type: 'accounts', account_ids: ['acct-1', 'acct-7', 'ACCT-9', 'missing'] },
  { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] },
  { type: 'rule', all: [{ attribute: 'plan', op: 'in', value: ['PRO', 'free', 3] }] },
  { type: 'rule', all: [{ attribute: 'plan', op: 'not_in', value: ['enterprise'] }] },
  { type: 'rule', all: [{ attribute: 'region', op: 'exists' }] },
  { type: 'rule', all: [{ attribute: 'region', op: 'contains', value: 'EAST' }] },
  { type: 'rule', all: [{ attribute: 'components', op: 'contains', value: 'api' }] },
  { type: 'rule', all: [{ attribute: 'components', op: 'exists' }] },
  { type: 'rule', all: [{ attribute: 'components', op: 'eq', value: 'api' }] },
  { type: 'rule', all: [{ attribute: 'id', op: 'eq', value: 'ACCT-3' }] },
  { type: 'rule', all: [{ attribute: 'attributes.seats', op: 'eq', value: 40 }] },
  { type: 'rule', all: [{ attribute: 'attributes.seats', op: 'in', value: ['40', 5] }] },
  { type: 'rule', all: [{ attribute: 'attributes.beta', op: 'eq', value: false }] },
  { type: 'rule', all: [{ attribute: 'attributes.beta', op: 'in', value: [false, 'GOLD'] }] },
  { type: 'rule', all: [{ attribute: 'attributes.seats', op: 'not_in', value: [40, 'silver'] }] },
  { type: 'rule', all: [{ attribute: 'attributes.tier', op: 'in', value: ['GOLD', 'Silver'] }] },
  { type: 'rule', all: [{ attribute: 'attributes.tier', op: 'exists' }] },
  { type: 'rule', all: [{ attribute: 'attributes.tier', op: 'not_in', value: ['gold'] }] },
  { type: 'rule', all: [{ attribute: 'attributes.tags', op: 'contains', value: 'early' }] },
  { type: 'rule', all: [{ attribute: 'attributes.tags', op: 'contains', value: 3 }] },
  { type: 'rule', all: [{ attribute: 'attributes.tags', op: 'exists' }] },
  { type: 'rule', all: [{ attribute: 'attributes.nested.team', op: 'eq', value: 'OPS' }] },
  { type: 'rule', all: [{ attribute: 'attributes.nested.size', op: 'exists' }] },
  { type: 'rule', all: [{ attribute: 'attributes.tier', op: 'contains', value: 'ol' }] },
  {
    type: 'rule',
    any: [
      { attribute: 'plan', op: 'eq', value: 'free' },
      {
        all: [
          { attribute: 'components', op: 'contains', value: 'billing' },
          { attribute: 'region', op: 'exists' },
        ],
      },
    ],
  },
  {
    type: 'rule',
    all: [
      {
        any: [
          { attribute: 'attributes.beta', op: 'eq', value: true },
          { attribute: 'plan', op: 'in', value: ['pro'] },
        ],
      },
      { attribute: 'region', op: 'not_in', value: ['eu-west'] },
    ],
  },
];

describe('audienceCondition', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    const accounts = Array.from({ length: 60 }, (_, i) => ({
      id: i % 10 === 9 ? `ACCT-${i}` : `acct-${i}`,
      plan: PLANS[i % PLANS.length],
      region: REGIONS[i % REGIONS.length],
      components: COMPONENTS[i % COMPONENTS.length],
      attributes: ATTRIBUTES[i % ATTRIBUTES.length],
    }));
    const response = await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
    expect(response.status).toBe(200);
  });
  afterAll(() => t.close());

  it('matches the same accounts in SQL as the notices API does in JavaScript', async () => {
    for (const audience of RULES) {
      const inJs = (await audienceMembers(t.deps.db, audience)).map((a) => a.id).sort();
      const inSql = rowsOf<{ id: string }>(
        await t.deps.db.execute(
          sql`select a.id from accounts a where ${audienceCondition(audience)} order by a.id`,
        ),
      )
        .map((r) => r.id)
        .sort();
      expect({ audience, ids: inSql }).toEqual({ audience, ids: inJs });
    }
    // The rules are not vacuous: most match some accounts and miss others.
    const sizes = await Promise.all(
      RULES.map(async (r) => (await audienceMembers(t.deps.db, r)).length),
    );
    expect(sizes.filter((n) => n > 0 && n < 60).length).toBeGreaterThan(RULES.length - 4);
  });
});
