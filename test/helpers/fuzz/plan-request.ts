import type { Random } from './random';
import {
  type Components,
  createValueMaker,
  EXTREME_DATES,
  type Known,
  PROTOTYPE_KEYS,
  type Schema,
  slotsOf,
  WEIRD_LEAVES,
} from './schema-values';
import { fuzzCsv, fuzzIcs } from './text-bodies';

export type Operation = {
  method: string;
  path: string;
  parameters: { name: string; in: string; required?: boolean; schema: Schema }[];
  body?: { content: Record<string, { schema: Schema }> };
};

export type PlannedRequest = {
  /** What was done to the request, for the failure report. */
  mutation: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  auth: 'admin' | 'none' | 'app';
};

/** Every operation of an OpenAPI document. */
export function operationsOf(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: (op.parameters as Operation['parameters']) ?? [],
      body: op.requestBody as Operation['body'],
    })),
  );
}

// Raw query and path tokens, sent as they are (already percent-encoded where they need it).
const RAW_TOKENS = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%ED%B0%80x',
  '%E0%A4%A',
  '%C0%AF',
  '%2e%2e',
  '..',
  '-1',
  '0',
  '1e309',
  'NaN',
  'Infinity',
  '',
  '%20',
  '%F0%9D%92%B3',
  'x'.repeat(3000),
  ...PROTOTYPE_KEYS.map(encodeURIComponent),
  ...EXTREME_DATES.map(encodeURIComponent),
];

const MEDIA_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'text/csv',
  'text/calendar',
  'application/octet-stream',
  'json',
  ';',
];

const RAW_JSON = [
  '',
  '{',
  '[1,2',
  'null',
  '"string"',
  '123',
  '[]',
  '{"a":1}garbage',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '\ufeff{}',
  `${'['.repeat(3000)}${']'.repeat(3000)}`,
  '{"x":"\\ud800"}',
  '{"x":"\\u0000"}',
  '{"\\u0000":1}',
  '{"\\udc00":1}',
];

/** One request for `op`: valid by its schemas, or with one thing made hostile. */
export function planRequest(
  op: Operation,
  random: Random,
  components: Components,
  known: Known,
): PlannedRequest {
  const values = createValueMaker(components, random, known);
  const bodyTypes = Object.keys(op.body?.content ?? {});
  const modes = ['valid', 'query', 'path', 'auth', 'headers'];
  if (bodyTypes.length > 0) modes.push('body', 'body', 'body', 'raw-body', 'media-type');
  const mode = random.pick(modes);
  const mutations: string[] = [mode];

  let path = op.path;
  for (const param of op.parameters.filter((p) => p.in === 'path')) {
    const value =
      mode === 'path' && random.chance(0.7)
        ? random.pick(RAW_TOKENS)
        : encodeURIComponent(String(values.valid(param.schema)));
    path = path.replace(`{${param.name}}`, value);
  }

  const query: string[] = [];
  for (const param of op.parameters.filter((p) => p.in === 'query')) {
    if (!param.required && !random.chance(0.6)) continue;
    const hostile = mode === 'query' && random.chance(0.5);
    const value = hostile
      ? random.pick(RAW_TOKENS)
      : encodeURIComponent(String(values.valid(param.schema)));
    query.push(`${param.name}=${value}`);
    if (hostile && random.chance(0.2)) query.push(`${param.name}=${value}`);
  }
  if (mode === 'query' && random.chance(0.3)) {
    query.push(`${random.pick(RAW_TOKENS)}=${random.pick(RAW_TOKENS)}`);
  }

  const headers: Record<string, string> = {};
  for (const param of op.parameters.filter((p) => p.in === 'header')) {
    if (param.required || random.chance(0.3)) {
      headers[param.name] = String(values.valid(param.schema));
    }
  }
  if (mode === 'headers') {
    headers[
      random.pick(['idempotency-key', 'if-none-match', 'if-match', 'x-request-id', 'svix-id'])
    ] = random.pick(['', ' ', 'x'.repeat(400), '"', '*', 'é', 'constructor', '\t']);
  }

  let body: string | Uint8Array | undefined;
  const bodyType = bodyTypes.length > 0 ? random.pick(bodyTypes) : undefined;
  if (bodyType === 'text/calendar' || bodyType === 'text/csv' || bodyType === 'application/gzip') {
    const made = bodyType === 'text/calendar' ? fuzzIcs(random) : fuzzCsv(random);
    body = made.body;
    headers['content-type'] = made.contentType;
  } else if (bodyType) {
    const schema = op.body?.content[bodyType]?.schema ?? {};
    const value = values.valid(schema);
    if (mode === 'body') mutations.push(mutateJson(value, random));
    body = mode === 'raw-body' ? random.pick(RAW_JSON) : JSON.stringify(value);
    headers['content-type'] = 'application/json';
  }
  if (mode === 'media-type' && body !== undefined) {
    const type = random.pick([...MEDIA_TYPES, undefined]);
    if (type === undefined) delete headers['content-type'];
    else headers['content-type'] = type;
    mutations.push(`content-type ${type ?? '(none)'}`);
  }

  const auth = mode === 'auth' ? random.pick(['none', 'app'] as const) : 'admin';
  return {
    mutation: mutations.join(': '),
    method: op.method,
    url: query.length > 0 ? `${path}?${query.join('&')}` : path,
    headers,
    body,
    auth,
  };
}

/** Changes one place of a valid JSON value in place; says what it did. */
function mutateJson(value: unknown, random: Random): string {
  const slots = slotsOf(value);
  const kind = random.pick(['leaf', 'leaf', 'drop', 'proto', 'key', 'grow']);
  if (slots.length === 0 || value === null || typeof value !== 'object') return 'no slot';
  const slot = random.pick(slots);
  switch (kind) {
    case 'leaf': {
      const leaf = random.pick(WEIRD_LEAVES);
      slot.parent[slot.key] = structuredClone(leaf);
      return `${slot.key} = ${JSON.stringify(leaf)?.slice(0, 40)}`;
    }
    case 'drop':
      delete slot.parent[slot.key];
      return `drop ${slot.key}`;
    case 'proto': {
      const holder = objectIn(slot, value as Record<string, unknown>);
      const key = random.pick(PROTOTYPE_KEYS);
      Object.defineProperty(holder, key, {
        value: random.pick([{ x: 1 }, 'x', 1, [], null]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return `own key ${key}`;
    }
    case 'key': {
      const holder = objectIn(slot, value as Record<string, unknown>);
      const key = random.pick(['a\u0000b', '\ud800', '', ' ', 'x'.repeat(300)]);
      holder[key] = 'x';
      return `key ${JSON.stringify(key).slice(0, 20)}`;
    }
    default: {
      const current = slot.parent[slot.key];
      const grown = Array.isArray(current)
        ? Array.from({ length: random.pick([101, 1001, 6000]) }, () => current[0] ?? 'x')
        : 'y'.repeat(random.pick([201, 5001, 100_001]));
      slot.parent[slot.key] = grown;
      return `grow ${slot.key}`;
    }
  }
}

function objectIn(
  slot: { parent: Record<string, unknown>; key: string },
  root: Record<string, unknown>,
): Record<string, unknown> {
  const inner = slot.parent[slot.key];
  if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
    return inner as Record<string, unknown>;
  }
  return Array.isArray(slot.parent) ? root : slot.parent;
}
