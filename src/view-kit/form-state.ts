/**
 * What a re-rendered form needs: what was typed, and what is wrong with it, by field name.
 * `idPrefix` keeps element ids unique when a page holds several forms with the same fields.
 */
export type FormState = {
  values: Record<string, string>;
  errors: Record<string, string>;
  idPrefix?: string;
};

export const emptyForm = (values: Record<string, string> = {}, idPrefix?: string): FormState => ({
  values,
  errors: {},
  idPrefix,
});

/**
 * Zod's messages in words a form can show: "required" where the field was left empty (zod's
 * issues do not carry the value, so it is looked up in what was parsed), its own message
 * otherwise ("must be an IANA time zone…").
 */
export function friendlyMessage(
  issue: { path: PropertyKey[]; code: string; message: string; minimum?: unknown },
  parsed: unknown,
): string {
  const given = issue.path.reduce<unknown>(
    (value, key) =>
      value !== null && typeof value === 'object'
        ? (value as Record<PropertyKey, unknown>)[key]
        : undefined,
    parsed,
  );
  const empty = given === undefined || given === null || given === '';
  if (empty || (issue.code === 'too_small' && issue.minimum === 1)) return 'This is required.';
  return issue.message;
}

/** Zod issues keyed by the form field (by default the first path segment) they belong to. */
export function issuesByField(
  issues: readonly { path: PropertyKey[]; code: string; message: string }[],
  parsed: unknown,
  toField: (path: string) => string = (path) => path.split('.')[0] ?? path,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    errors[toField(issue.path.map(String).join('.'))] ??= friendlyMessage(issue, parsed);
  }
  return errors;
}

/** Form bodies as field → value, with repeated fields (checkboxes) joined by commas. */
export function formValues(
  body: Record<string, string | File | (string | File)[]>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const list = (Array.isArray(value) ? value : [value]).filter(
      (v): v is string => typeof v === 'string',
    );
    values[key] = list.join(',');
  }
  return values;
}

/** A `datetime-local` value, read as UTC (the forms say so), as an ISO instant. */
export const utcInstant = (value: string | undefined) =>
  value ? `${value.length === 16 ? `${value}:00` : value}Z` : undefined;
