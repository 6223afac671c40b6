import { z } from '@hono/zod-openapi';

type BoundIssue = {
  code: 'too_big' | 'too_small';
  origin: string;
  maximum?: number | bigint;
  minimum?: number | bigint;
  inclusive?: boolean;
  exact?: boolean;
};

const UNITS: Record<string, [one: string, many: string]> = {
  string: ['character', 'characters'],
  array: ['item', 'items'],
  set: ['item', 'items'],
  file: ['byte', 'bytes'],
};

/**
 * Bounds worded as a person reads them, "must be at most 50", rather than zod's "Too big:
 * expected number to be <=50", for every schema once a router exists (bodies, queries,
 * headers), so a message never depends on which helper built the field. A message a schema
 * states itself still wins: zod reads the global map last.
 */
export function boundMessage(issue: BoundIssue): string | undefined {
  const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
  if (bound === undefined) return undefined;
  const n = Number(bound);
  const relation = issue.exact
    ? 'exactly'
    : issue.code === 'too_big'
      ? issue.inclusive === false
        ? 'less than'
        : 'at most'
      : issue.inclusive === false
        ? 'more than'
        : 'at least';
  if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
    return `must be ${relation} ${bound}`;
  }
  const unit = UNITS[issue.origin];
  if (!unit) return undefined;
  if (issue.origin === 'string' && issue.code === 'too_small' && n === 1 && !issue.exact) {
    return 'must not be empty';
  }
  const verb = issue.origin === 'string' || issue.origin === 'file' ? 'be' : 'have';
  return `must ${verb} ${relation} ${bound} ${n === 1 ? unit[0] : unit[1]}`;
}

z.config({
  customError: (issue) =>
    issue.code === 'too_big' || issue.code === 'too_small'
      ? boundMessage(issue as BoundIssue)
      : undefined,
});
