import { html } from 'hono/html';

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

const idOf = (state: FormState, name: string) => `${state.idPrefix ?? ''}${name}`;

/** Zod's messages in words a form can show: "required" rather than "expected string to have >=1". */
export function friendlyMessage(issue: {
  code: string;
  message: string;
  minimum?: unknown;
  input?: unknown;
}): string {
  if (
    (issue.code === 'too_small' && issue.minimum === 1) ||
    issue.input === undefined ||
    issue.input === ''
  ) {
    return 'This is required.';
  }
  return issue.message;
}

/** Zod issues keyed by the form field (by default the first path segment) they belong to. */
export function issuesByField(
  issues: readonly { path: PropertyKey[]; code: string; message: string }[],
  toField: (path: string) => string = (path) => path.split('.')[0] ?? path,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    errors[toField(issue.path.map(String).join('.'))] ??= friendlyMessage(issue);
  }
  return errors;
}

const describedBy = (name: string, state: FormState, hint?: string) => {
  const id = idOf(state, name);
  const ids = [hint ? `${id}-hint` : '', state.errors[name] ? `${id}-error` : ''].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
};

const errorFor = (name: string, state: FormState) =>
  state.errors[name]
    ? html`<p class="error" id="${idOf(state, name)}-error">${state.errors[name]}</p>`
    : '';

export function textField(
  state: FormState,
  name: string,
  label: string,
  options: { type?: string; hint?: string; required?: boolean; placeholder?: string } = {},
) {
  const id = idOf(state, name);
  return html`<label for="${id}">${label}${options.hint ? html` <span class="hint" id="${id}-hint">${options.hint}</span>` : ''}</label>
    <input type="${options.type ?? 'text'}" id="${id}" name="${name}" value="${state.values[name] ?? ''}"
      ${options.required ? 'required' : ''} placeholder="${options.placeholder ?? ''}"
      aria-invalid="${state.errors[name] ? 'true' : 'false'}" aria-describedby="${describedBy(name, state, options.hint) ?? ''}" />
    ${errorFor(name, state)}`;
}

export function textArea(state: FormState, name: string, label: string, hint?: string) {
  const id = idOf(state, name);
  return html`<label for="${id}">${label}${hint ? html` <span class="hint" id="${id}-hint">${hint}</span>` : ''}</label>
    <textarea id="${id}" name="${name}" aria-invalid="${state.errors[name] ? 'true' : 'false'}"
      aria-describedby="${describedBy(name, state, hint) ?? ''}">${state.values[name] ?? ''}</textarea>
    ${errorFor(name, state)}`;
}

export function selectField(
  state: FormState,
  name: string,
  label: string,
  options: readonly (string | [string, string])[],
) {
  const selected = state.values[name];
  const id = idOf(state, name);
  return html`<label for="${id}">${label}</label>
    <select id="${id}" name="${name}" aria-invalid="${state.errors[name] ? 'true' : 'false'}">
      ${options.map((option) => {
        const [value, text] = typeof option === 'string' ? [option, option] : option;
        return html`<option value="${value}" ${value === selected ? 'selected' : ''}>${text}</option>`;
      })}
    </select>
    ${errorFor(name, state)}`;
}

export function checkboxes(
  state: FormState,
  name: string,
  legend: string,
  options: readonly (string | [string, string])[],
) {
  const chosen = new Set((state.values[name] ?? '').split(',').filter(Boolean));
  return html`<fieldset aria-describedby="${state.errors[name] ? `${idOf(state, name)}-error` : ''}">
      <legend>${legend}</legend>
      ${options.map((option) => {
        const [value, text] = typeof option === 'string' ? [option, option] : option;
        return html`<label><input type="checkbox" name="${name}" value="${value}" ${chosen.has(value) ? 'checked' : ''} /> ${text}</label>`;
      })}
    </fieldset>
    ${errorFor(name, state)}`;
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
