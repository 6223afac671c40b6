import type { Audience } from './audience';

type Node = Record<string, unknown>;

const OPS: Record<string, string> = {
  eq: 'is',
  in: 'is one of',
  not_in: 'is none of',
  contains: 'contains',
  exists: 'is set',
};

const valueText = (value: unknown) =>
  Array.isArray(value) ? value.map(String).join(', ') : String(value);

function conditionText(condition: Node): string {
  if (Array.isArray(condition.all)) return `(${groupText('and', condition.all as Node[])})`;
  if (Array.isArray(condition.any)) return `(${groupText('or', condition.any as Node[])})`;
  const op = String(condition.op);
  const head = `${String(condition.attribute)} ${OPS[op] ?? op}`;
  return op === 'exists' ? head : `${head} ${valueText(condition.value)}`;
}

const groupText = (joiner: string, conditions: Node[]) =>
  conditions.map(conditionText).join(` ${joiner} `);

/** An audience rule in words, for ops reading why an account is in it or not. */
export function audienceText(audience: Audience): string {
  if (audience.type === 'all') return 'every account';
  if (audience.type === 'accounts') {
    const ids = audience.account_ids;
    return `${ids.length} listed account${ids.length === 1 ? '' : 's'}`;
  }
  return 'all' in audience
    ? groupText('and', audience.all as Node[])
    : groupText('or', audience.any as Node[]);
}
