/**
 * zod reports a value that matches no branch of a union as one "Invalid input" with every
 * branch's issues nested. A caller needs the branch they meant: the one their value is
 * shaped like (fewest wrong or missing keys), or, when it is the tag that is wrong, the tag's
 * allowed values.
 */

export type SchemaIssue = {
  code?: string;
  path: PropertyKey[];
  message: string;
  errors?: SchemaIssue[][];
  values?: unknown[];
  keys?: string[];
  note?: string;
  discriminator?: string;
  options?: unknown[];
  expected?: string;
  format?: string;
};

export function explainUnionIssues(issues: readonly SchemaIssue[]): SchemaIssue[] {
  return issues.flatMap((issue) => explain(issue));
}

function explain(issue: SchemaIssue): SchemaIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  if (issue.discriminator && issue.options) {
    return [{ ...issue, message: `must be one of ${listOf(issue.options)}` }];
  }
  const branches = issue.errors ?? [];
  if (branches.length === 0) return [issue];
  if (branches.every((branch) => branch.length === 1 && branch[0]?.path.length === 0)) {
    const expected = branches.map((branch) => branch[0]?.expected ?? branch[0]?.format);
    if (expected.every((e) => e !== undefined)) {
      const shape = [...new Set(expected)].join(' or ');
      const missing = branches.every((branch) => branch[0]?.message.endsWith('received undefined'));
      return [{ ...issue, message: missing ? `is required (${shape})` : `must be ${shape}` }];
    }
  }
  const ranked = branches
    .map((branch) => ({ branch, distance: shapeDistance(branch) }))
    .sort((a, b) => a.distance - b.distance);
  const closest = ranked[0]?.branch ?? [];
  const tag = wrongTagOf(closest);
  if (tag !== undefined) {
    const allowed = branches.flatMap((branch) => tagValues(branch, tag));
    return [{ path: [...issue.path, tag], message: `must be one of ${listOf(allowed)}` }];
  }
  const explained = closest.flatMap((nested) =>
    explain({ ...nested, path: [...issue.path, ...nested.path] }),
  );
  // One message per place: the branch's first complaint about it is the one to fix first.
  const seen = new Set<string>();
  return explained.filter((e) => {
    const key = `${e.path.map(String).join('.')}${e.code === 'unrecognized_keys' ? ` ${e.keys}` : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * How far a value is from a branch's shape: foreign and missing keys count one each, a wrong
 * tag two, so `{"type":"accounts"}` without its ids is read as an accounts audience.
 */
function shapeDistance(branch: SchemaIssue[]): number {
  let distance = 0;
  for (const issue of branch) {
    if (issue.path.length > 1) continue;
    if (issue.code === 'invalid_value' || issue.discriminator) distance += 2;
    else if (issue.code === 'unrecognized_keys') distance += issue.keys?.length ?? 1;
    else if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      distance += 1;
    } else if (issue.code === 'invalid_union' && issue.errors && issue.errors.length > 0) {
      distance += Math.min(...issue.errors.map(shapeDistance));
    }
  }
  return distance;
}

/** The key whose literal value is the only thing wrong with this branch, if any. */
function wrongTagOf(branch: SchemaIssue[]): PropertyKey | undefined {
  const [only] = branch;
  if (branch.length !== 1 || only?.code !== 'invalid_value' || only.path.length !== 1) {
    return undefined;
  }
  return only.path[0];
}

function tagValues(branch: SchemaIssue[], tag: PropertyKey): unknown[] {
  const mismatch = branch.find(
    (issue) => issue.code === 'invalid_value' && issue.path.length === 1 && issue.path[0] === tag,
  );
  return mismatch?.values ?? [];
}

function listOf(values: unknown[]): string {
  return [...new Set(values.map((value) => JSON.stringify(value)))].join(', ');
}
