import { describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/database';
import { type Audience, compileAudience } from '../../../src/modules/campaigns/audience';
import { createAccountCache } from '../../../src/modules/notices/account-cache';
import {
  type AccountRow,
  accountBytes,
  compactAccount,
} from '../../../src/modules/notices/compact-account';

const row = (id: string, overrides: Partial<AccountRow> = {}): AccountRow => ({
  id,
  plan: 'Pro',
  region: 'eu-west',
  components: ['API', 'Billing'],
  locale: 'fr-CA',
  time_zone: 'Europe/Paris',
  attributes: {
    seats: 42,
    ratio: 0.25,
    beta: true,
    sso: null,
    owner: 'Ana',
    tags: ['VIP', 'early'],
    billing: { cycle: 'Yearly', cards: 2 },
  },
  created_at: '2026-01-02T03:04:05.678Z',
  dismissed: null,
  ...overrides,
});

const RULES: Audience[] = [
  { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] },
  { type: 'rule', all: [{ attribute: 'components', op: 'contains', value: 'api' }] },
  { type: 'rule', all: [{ attribute: 'attributes.owner', op: 'eq', value: 'ANA' }] },
  { type: 'rule', all: [{ attribute: 'attributes.tags', op: 'contains', value: 'vip' }] },
  { type: 'rule', all: [{ attribute: 'attributes.billing.cycle', op: 'eq', value: 'yearly' }] },
  { type: 'rule', all: [{ attribute: 'attributes.seats', op: 'in', value: [41, 42] }] },
  { type: 'rule', all: [{ attribute: 'attributes.ratio', op: 'eq', value: 0.25 }] },
  { type: 'rule', all: [{ attribute: 'attributes.beta', op: 'eq', value: true }] },
  { type: 'rule', all: [{ attribute: 'attributes.sso', op: 'exists' }] },
  { type: 'rule', all: [{ attribute: 'id', op: 'eq', value: 'acct-upper' }] },
  { type: 'accounts', account_ids: ['Acct-Upper'] },
  { type: 'rule', any: [{ attribute: 'region', op: 'not_in', value: ['EU-WEST'] }] },
];

describe('compact notices account records', () => {
  it('keep every field and attribute type as read, and match every rule as the row does', () => {
    const source = row('Acct-Upper');
    const account = compactAccount(structuredClone(source));
    const { created_at, dismissed, ...subject } = source;
    expect(account).toMatchObject(subject);
    expect(account.createdAtMs).toBe(Date.parse('2026-01-02T03:04:05.678Z'));
    expect(account.dismissed.size).toBe(0);
    for (const rule of RULES) {
      const matches = compileAudience(rule);
      expect(matches(account), JSON.stringify(rule)).toBe(matches(structuredClone(subject)));
    }
    expect(RULES.map((rule) => compileAudience(rule)(account))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  it('hold values accounts share once, and what each dismissed as its own', () => {
    const first = compactAccount(row('a-1', { dismissed: ['c-1', 'c-2'] }));
    const second = compactAccount(row('a-2'));
    expect(second.components).toBe(first.components);
    expect(second.attributes).toBe(first.attributes);
    expect(Object.isFrozen(first.attributes)).toBe(true);
    expect([...first.dismissed]).toEqual(['c-1', 'c-2']);
    expect(second.dismissed.has('c-1')).toBe(false);
    expect(accountBytes(first)).toBeGreaterThan(accountBytes(second));
  });

  it('leave a large attribute set unshared, charged by its size, so it goes with its account', () => {
    const notes = 'x'.repeat(100_000);
    const large = () => row('a-big', { attributes: { notes, seats: 3 } });
    const first = compactAccount(large());
    const again = compactAccount(large());
    // Not held by the table that outlives every account: each record has its own.
    expect(again.attributes).not.toBe(first.attributes);
    expect(accountBytes(first)).toBeGreaterThan(2 * notes.length);
    expect(accountBytes(compactAccount(row('a-small')))).toBeLessThan(2_000);
  });
});

describe('the notices account cache, bounded by memory', () => {
  const db = {
    execute: async () => [{ horizon: '100', changed: null }],
  } as unknown as Db;
  const ids = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(2, '0')}`);
  const oneAccount = accountBytes(compactAccount(row('acct-00')));

  async function filled(maxBytes: number) {
    const cache = createAccountCache({ maxBytes });
    await cache.sync(db);
    for (const id of ids) await cache.load(id, async () => compactAccount(row(id)));
    return cache;
  }

  it('holds every account its budget has room for', async () => {
    const cache = await filled(20 * oneAccount);
    expect(cache.size()).toEqual({ accounts: 20, bytes: 20 * oneAccount });
    expect(ids.every((id) => cache.get(id) !== undefined)).toBe(true);
  });

  it('lets the least recently used go once its budget is spent', async () => {
    const cache = await filled(10 * oneAccount + oneAccount / 2);
    expect(cache.size().accounts).toBe(10);
    expect(cache.size().bytes).toBeLessThanOrEqual(10 * oneAccount + oneAccount / 2);
    expect(ids.slice(0, 10).map((id) => cache.get(id))).toEqual(Array(10).fill(undefined));
    expect(ids.slice(10).every((id) => cache.get(id)?.id === id)).toBe(true);
  });

  it('warms up to its budget and no further', async () => {
    const cache = createAccountCache({ maxBytes: 5 * oneAccount });
    const added = await cache.warm(db, async (afterId) =>
      ids
        .filter((id) => id > afterId)
        .slice(0, 4)
        .map((id) => compactAccount(row(id))),
    );
    expect(added).toBe(5);
    expect(cache.size().accounts).toBe(5);
  });
});
