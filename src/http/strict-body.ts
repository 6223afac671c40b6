import { getRefId } from '@asteasolutions/zod-to-openapi';
import { z } from '@hono/zod-openapi';

/**
 * A JSON body's schema with every object closed: a key it does not name is refused (400,
 * one error per key) instead of dropped, so a misspelt field is never read as "not sent".
 * Done once, when a route is defined, so no schema can forget it; the OpenAPI document shows
 * the same schemas with `additionalProperties: false`.
 *
 * Objects given a catchall (`z.looseObject`, `.passthrough()`) take unknown keys on purpose
 * (another system's payload) and are left whole, their nested objects included; records are
 * maps of free keys and only their values are closed. Intersections are left as they are:
 * each closed operand would refuse the other's keys.
 */
export function strictBody<T extends z.ZodType>(schema: T): T {
  return strict(schema) as T;
}

type Def = z.core.$ZodTypeDef & Record<string, unknown>;
type ErrorMap = z.core.$ZodErrorMap;
type OpenApiOptions = Parameters<z.ZodType['openapi']>[2];

const closed = new WeakMap<z.ZodType, z.ZodType>();

function strict(schema: z.ZodType): z.ZodType {
  let result = closed.get(schema);
  if (!result) {
    result = close(schema);
    closed.set(schema, result);
  }
  return result;
}

function close(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as Def;
  switch (def.type) {
    case 'object': {
      const catchall = def.catchall as z.ZodType | undefined;
      if (catchall && catchall._zod.def.type !== 'never') return schema;
      const shape = mapValues(def.shape as Record<string, z.ZodType>, strict);
      const error = unknownKeysError(Object.keys(shape), def.error as ErrorMap | undefined);
      return rebuilt(schema, { shape, catchall: z.never(), error });
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'catch':
    case 'readonly':
    case 'success':
      return changed(schema, { innerType: strict(def.innerType as z.ZodType) });
    case 'array':
      return changed(schema, { element: strict(def.element as z.ZodType) });
    case 'set':
    case 'record':
    case 'map':
      return changed(schema, { valueType: strict(def.valueType as z.ZodType) });
    case 'union':
      return changed(schema, { options: (def.options as z.ZodType[]).map(strict) });
    case 'tuple':
      return changed(schema, {
        items: (def.items as z.ZodType[]).map(strict),
        rest: def.rest ? strict(def.rest as z.ZodType) : def.rest,
      });
    case 'pipe':
      return changed(schema, {
        in: strict(def.in as z.ZodType),
        out: strict(def.out as z.ZodType),
      });
    case 'lazy': {
      const getter = def.getter as () => z.ZodType;
      return rebuilt(schema, { getter: () => strict(getter()) });
    }
    default:
      return schema;
  }
}

/** The schema itself when nothing below it was closed, so its identity (and name) is kept. */
function changed(schema: z.ZodType, parts: Record<string, unknown>): z.ZodType {
  const def = schema._zod.def as Def;
  const same = Object.entries(parts).every(([key, value]) =>
    Array.isArray(value)
      ? value.every((item, i) => item === (def[key] as unknown[])[i])
      : value === def[key],
  );
  return same ? schema : rebuilt(schema, parts);
}

/**
 * A copy with `parts` replaced, keeping the schema's description and examples. A named
 * component's closed copy is named `<name>Request`: the plain name stays the open original's,
 * which answers use (and extend), while SDK generators still get a named request type.
 */
function rebuilt(schema: z.ZodType, parts: Record<string, unknown>): z.ZodType {
  const def = { ...(schema._zod.def as Def), ...parts };
  const copy = schema.clone(def as typeof schema._zod.def, { parent: true });
  const name = getRefId(schema);
  // The options argument is typed for users; setting zod-to-openapi's internal refId and
  // unsetting extendedFrom through it is how the copy gets a component of its own.
  return copy.openapi({}, {
    refId: name ? `${name}Request` : undefined,
    extendedFrom: undefined,
  } as OpenApiOptions);
}

function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}

/**
 * zod reports an object's unknown keys as one issue; its message holds one line per key, in
 * the issue's `keys` order, which `fieldErrors` splits into an error per key.
 */
function unknownKeysError(known: string[], own: ErrorMap | undefined): ErrorMap {
  return (issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys
          .map((key, i) => (i < SUGGESTED_KEYS ? unknownKeyMessage(key, known) : UNKNOWN_FIELD))
          .join('\n')
      : own?.(issue);
}

export const UNKNOWN_FIELD = 'unknown field';
/** Suggestions cost an edit distance per known key: a body of junk keys gets few of them. */
const SUGGESTED_KEYS = 20;
const SUGGESTED_LENGTH = 64;

function unknownKeyMessage(key: string, known: string[]): string {
  const meant = closestKey(key, known);
  return meant ? `${UNKNOWN_FIELD}; did you mean ${meant}?` : UNKNOWN_FIELD;
}

/**
 * The known key the caller most likely meant: a near spelling (a third of the letters wrong
 * at most), or one word of a snake_case key (`reasons` for `affected_reasons`).
 */
function closestKey(key: string, known: string[]): string | undefined {
  if (key.length > SUGGESTED_LENGTH) return undefined;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const allowed = Math.max(1, Math.floor(Math.max(key.length, candidate.length) / 3));
    const oneWord = candidate.split('_').includes(key);
    if (!oneWord && Math.abs(key.length - candidate.length) > allowed) continue;
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if ((oneWord || distance <= allowed) && (!best || distance < best.distance)) {
      best = { key: candidate, distance };
    }
  }
  return best?.key;
}

/**
 * Edits, swapping two neighbouring letters counting one (`nmae` is one from `name`). Written
 * here: of the packages on offer, fastest-levenshtein counts a swap as two, and
 * damerau-levenshtein gives up past four edits on its diagonal and answers the length.
 */
function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let distance = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current[j] = distance;
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
