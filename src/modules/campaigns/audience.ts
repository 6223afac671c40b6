import { z } from '@hono/zod-openapi';

/**
 * Who a campaign is for: everyone, a list of account ids, or attribute predicates combined
 * with `all` / `any`, nested at most one level (an AND of ORs or an OR of ANDs), which covers
 * real targeting and keeps rules readable in the console.
 */

const ATTRIBUTE_PATH =
  /^(id|plan|region|components|locale|time_zone|attributes\.[A-Za-z0-9_.-]{1,100})$/;

const Scalar = z.union([z.string().max(200), z.number(), z.boolean()]);

const PredicateSchema = z
  .discriminatedUnion('op', [
    z.object({ attribute: z.string(), op: z.literal('eq'), value: Scalar }),
    z.object({
      attribute: z.string(),
      op: z.literal('in'),
      value: z.array(Scalar).min(1).max(1000),
    }),
    z.object({
      attribute: z.string(),
      op: z.literal('not_in'),
      value: z.array(Scalar).min(1).max(1000),
    }),
    z.object({ attribute: z.string(), op: z.literal('exists') }),
    z.object({ attribute: z.string(), op: z.literal('contains'), value: Scalar }),
  ])
  .refine((p) => ATTRIBUTE_PATH.test(p.attribute), {
    message:
      'attribute must be id, plan, region, components, locale, time_zone or attributes.<key>',
    path: ['attribute'],
  })
  .openapi('AudiencePredicate', {
    example: { attribute: 'components', op: 'contains', value: 'API' },
  });

/** The most conditions a rule, or a group inside it, may hold. */
export const MAX_RULE_CONDITIONS = 50;

const InnerGroupSchema = z.union([
  z.strictObject({ all: z.array(PredicateSchema).min(1).max(MAX_RULE_CONDITIONS) }),
  z.strictObject({ any: z.array(PredicateSchema).min(1).max(MAX_RULE_CONDITIONS) }),
]);

const Condition = z.union([PredicateSchema, InnerGroupSchema]);

export const AudienceSchema = z
  .union([
    z.strictObject({ type: z.literal('all') }),
    z.strictObject({
      type: z.literal('accounts'),
      account_ids: z.array(z.string().min(1).max(200)).min(1).max(10_000),
    }),
    z.strictObject({
      type: z.literal('rule'),
      all: z.array(Condition).min(1).max(MAX_RULE_CONDITIONS),
    }),
    z.strictObject({
      type: z.literal('rule'),
      any: z.array(Condition).min(1).max(MAX_RULE_CONDITIONS),
    }),
  ])
  .openapi('Audience', {
    description:
      '`{"type":"all"}`, `{"type":"accounts","account_ids":[…]}`, ' +
      'or `{"type":"rule","all"|"any":[…]}` ' +
      'of predicates (`eq`, `in`, `not_in`, `exists`, `contains`) or one level of nested groups.',
    example: {
      type: 'rule',
      all: [
        { attribute: 'components', op: 'contains', value: 'API' },
        { any: [{ attribute: 'plan', op: 'in', value: ['pro', 'enterprise'] }] },
      ],
    },
  });

export type Audience = z.infer<typeof AudienceSchema>;
export type AudiencePredicate = z.infer<typeof PredicateSchema>;
export type AudienceCondition = z.infer<typeof Condition>;

const LOWERED = Symbol('lowered');

type Lowered = Record<string, unknown>;

/** What audience rules can see of an account. */
export type AudienceSubject = {
  id: string;
  plan: string | null;
  region: string | null;
  components: string[];
  locale: string | null;
  time_zone: string | null;
  attributes: Record<string, unknown>;
  /** The fields lower-cased, kept on the object on first use. */
  [LOWERED]?: Lowered;
};

export type AudienceMatcher = (account: AudienceSubject) => boolean;

/**
 * Compiles a rule once so the notices hot path only runs plain functions. Strings compare
 * case-insensitively (component and plan names come from different systems): rule values are
 * lower-cased here, and an account's once, on first use (kept on the object).
 */
export function compileAudience(audience: Audience): AudienceMatcher {
  if (audience.type === 'all') return () => true;
  if (audience.type === 'accounts') {
    const ids = new Set(audience.account_ids);
    return (account) => ids.has(account.id);
  }
  const matches = group(
    'all' in audience ? 'all' : 'any',
    'all' in audience ? audience.all : audience.any,
  );
  return (account) => matches(lowered(account));
}

type Test = (account: Lowered) => boolean;

function group(kind: 'all' | 'any', conditions: AudienceCondition[]): Test {
  const parts = conditions.map(compileCondition);
  // Plain loops: this runs for every live campaign on every first notices request.
  return kind === 'all'
    ? (account) => {
        for (const part of parts) if (!part(account)) return false;
        return true;
      }
    : (account) => {
        for (const part of parts) if (part(account)) return true;
        return false;
      };
}

function compileCondition(condition: AudienceCondition): Test {
  if ('all' in condition) return group('all', condition.all);
  if ('any' in condition) return group('any', condition.any);
  return compilePredicate(condition);
}

function compilePredicate(predicate: AudiencePredicate): Test {
  const read = reader(predicate.attribute);
  switch (predicate.op) {
    case 'exists':
      return (account) => isPresent(read(account));
    case 'eq': {
      const wanted = lower(predicate.value);
      return (account) => read(account) === wanted;
    }
    case 'in': {
      const wanted = new Set(predicate.value.map(lower));
      return (account) => wanted.has(read(account));
    }
    case 'not_in': {
      const unwanted = new Set(predicate.value.map(lower));
      return (account) => !unwanted.has(read(account));
    }
    case 'contains': {
      const wanted = lower(predicate.value);
      return (account) => {
        const value = read(account);
        if (Array.isArray(value)) return value.includes(wanted);
        return typeof value === 'string' && typeof wanted === 'string' && value.includes(wanted);
      };
    }
  }
}

function reader(path: string): (account: Lowered) => unknown {
  if (!path.startsWith('attributes.')) return (account) => account[path];
  const keys = path.slice('attributes.'.length).split('.');
  return (account) => {
    let value: unknown = account.attributes;
    for (const key of keys) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
      // Own keys only: `constructor` or `__proto__` name what every object inherits.
      if (!Object.hasOwn(value, key)) return undefined;
      value = Reflect.get(value, key);
    }
    return value;
  };
}

const isPresent = (value: unknown) =>
  value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);

/** The subject's own fields lower-cased, whatever else the object carries (a cached answer…). */
function lowered(account: AudienceSubject): Lowered {
  let fields = account[LOWERED];
  if (!fields) {
    const { id, plan, region, components, locale, time_zone, attributes } = account;
    fields = lowerObject({ id, plan, region, components, locale, time_zone, attributes });
    account[LOWERED] = fields;
  }
  return fields;
}

/**
 * Lower-cases a subject kept in memory ahead of its first match. A subject whose fields are
 * lower-case already is its own lowered view and costs nothing more; otherwise the view's
 * values go through `share`, so identical values are held once.
 */
export function lowerAhead<T extends AudienceSubject>(
  subject: T,
  share: (value: unknown) => unknown,
): T {
  const { id, plan, region, components, locale, time_zone, attributes } = subject;
  const fields = { id, plan, region, components, locale, time_zone, attributes };
  const view = lowerObject(fields);
  if (JSON.stringify(view) === JSON.stringify(fields)) {
    subject[LOWERED] = subject;
    return subject;
  }
  subject[LOWERED] = Object.fromEntries(Object.entries(view).map(([k, v]) => [k, share(v)]));
  return subject;
}

const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

function lowerDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.toLowerCase();
  if (Array.isArray(value)) return value.map(lowerDeep);
  if (value === null || typeof value !== 'object') return value;
  return lowerObject(value);
}

function lowerObject(value: object): Lowered {
  const copy: Lowered = {};
  for (const [key, inner] of Object.entries(value)) {
    // defineProperty: an own `__proto__` key stays data instead of replacing the prototype.
    Object.defineProperty(copy, key, { value: lowerDeep(inner), enumerable: true });
  }
  return copy;
}
