import type { Random } from './random';

/** A JSON Schema node of the OpenAPI document (3.1), as zod-openapi writes them. */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  example?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
};

export type Components = Record<string, Schema>;

/** Values the app already holds (ids of accounts, campaigns…), so requests reach real rows. */
export type Known = { uuids: string[]; strings: string[] };

export const EXTREME_DATES = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01',
  '9999-12-31',
  '2026-02-30',
  '+275760-09-13T00:00:00Z',
  '1899-12-31T23:59:59Z',
  '2026-13-01T00:00:00Z',
];

export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
];

/** Builds schema-conforming values (best effort) and mutations of them. */
export function createValueMaker(components: Components, random: Random, known: Known) {
  const resolve = (schema: Schema): Schema => {
    let current = schema;
    for (let i = 0; current.$ref && i < 10; i++) {
      const name = current.$ref.split('/').pop() ?? '';
      current = components[name] ?? {};
    }
    if (current.allOf) {
      const parts = current.allOf.map(resolve);
      return {
        type: 'object',
        properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
        required: parts.flatMap((p) => p.required ?? []),
      };
    }
    return current;
  };

  const typeOf = (schema: Schema): string | undefined => {
    if (Array.isArray(schema.type)) {
      const real = schema.type.filter((t) => t !== 'null');
      return random.chance(0.05) ? 'null' : random.pick(real.length ? real : ['null']);
    }
    return schema.type ?? (schema.properties ? 'object' : undefined);
  };

  function valid(input: Schema, depth = 0): unknown {
    const schema = resolve(input);
    if (schema.const !== undefined) return schema.const;
    if (schema.enum) return random.pick(schema.enum);
    const branches = schema.anyOf ?? schema.oneOf;
    if (branches) {
      const real = branches.filter((b) => resolve(b).type !== 'null');
      return valid(random.pick(real.length > 0 ? real : branches), depth + 1);
    }
    if (schema.example !== undefined && random.chance(0.3)) return structuredClone(schema.example);
    switch (typeOf(schema)) {
      case 'null':
        return null;
      case 'boolean':
        return random.chance(0.5);
      case 'integer':
      case 'number': {
        const min = schema.minimum ?? (schema.exclusiveMinimum ?? -1) + 1;
        const max = schema.maximum ?? Math.max(min + 100, 100);
        const value = random.int(Math.ceil(min), Math.floor(max));
        return schema.type === 'number' && random.chance(0.3) ? value / 2 : value;
      }
      case 'string':
        return validString(schema);
      case 'array': {
        const min = schema.minItems ?? 0;
        const max = Math.min(schema.maxItems ?? 3, min + 3);
        const length = random.int(min, Math.max(min, max));
        return Array.from({ length }, () => valid(schema.items ?? {}, depth + 1));
      }
      case 'object': {
        const value: Record<string, unknown> = {};
        const required = new Set(schema.required ?? []);
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
          if (required.has(key) || (depth < 4 && random.chance(0.5))) {
            value[key] = valid(property, depth + 1);
          }
        }
        if (schema.additionalProperties && random.chance(0.5)) {
          value[random.pick(['plan_tier', 'seats', 'beta'])] = random.pick([
            'gold',
            3,
            true,
            ['a', 'b'],
          ]);
        }
        return value;
      }
      default:
        return random.pick(['x', 1, true, null, {}, []]);
    }
  }

  function validString(schema: Schema): string {
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? 40;
    switch (schema.format) {
      case 'uuid':
        return random.chance(0.7) && known.uuids.length > 0
          ? random.pick(known.uuids)
          : crypto.randomUUID();
      case 'date-time':
        return new Date(Date.UTC(2026, random.int(0, 11), random.int(1, 28), random.int(0, 23)))
          .toISOString()
          .replace('.000', '');
      case 'date':
        return `2026-${pad(random.int(1, 12))}-${pad(random.int(1, 28))}`;
      case 'email':
        return `user${random.int(1, 50)}@example.com`;
      case 'uri':
        return 'https://example.com/x';
    }
    if (schema.pattern) return random.pick(['billing', 'billing-double-charge', 'a', 'x1']);
    if (known.strings.length > 0 && random.chance(0.3)) return random.pick(known.strings);
    const length = random.int(Math.max(min, 1), Math.max(Math.min(max, 12), min, 1));
    return 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil(length / 26) + 1).slice(0, length);
  }

  return { valid, resolve };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Every place in a JSON value (parent and key), to mutate one at random. */
export function slotsOf(value: unknown): { parent: Record<string, unknown>; key: string }[] {
  const slots: { parent: Record<string, unknown>; key: string }[] = [];
  const visit = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      slots.push({ parent: node as Record<string, unknown>, key });
      visit((node as Record<string, unknown>)[key]);
    }
  };
  visit(value);
  return slots;
}

export const WEIRD_LEAVES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udc00y',
  '\ud83d',
  '=HYPERLINK("http://evil.example","x")',
  '+1+1',
  '@SUM(A1)',
  '-2+3',
  "'; drop table accounts; --",
  '<script>alert(1)</script>',
  '𝒳 ﬀ e\u0301 \u202e',
  'x'.repeat(5000),
  [],
  {},
  [[[[[]]]]],
  { __proto__: { polluted: true } },
  ...EXTREME_DATES,
  ...PROTOTYPE_KEYS,
];
