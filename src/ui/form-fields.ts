import { html } from 'hono/html';

/** What a re-rendered form needs: what was typed, and what is wrong with it, by field name. */
export type FormState = { values: Record<string, string>; errors: Record<string, string> };

export const emptyForm = (values: Record<string, string> = {}): FormState => ({
  values,
  errors: {},
});

const describedBy = (name: string, state: FormState, hint?: string) => {
  const ids = [hint ? `${name}-hint` : '', state.errors[name] ? `${name}-error` : ''].filter(
    Boolean,
  );
  return ids.length > 0 ? ids.join(' ') : undefined;
};

const errorFor = (name: string, state: FormState) =>
  state.errors[name] ? html`<p class="error" id="${name}-error">${state.errors[name]}</p>` : '';

export function textField(
  state: FormState,
  name: string,
  label: string,
  options: { type?: string; hint?: string; required?: boolean; placeholder?: string } = {},
) {
  return html`<label for="${name}">${label}${options.hint ? html` <span class="hint" id="${name}-hint">${options.hint}</span>` : ''}</label>
    <input type="${options.type ?? 'text'}" id="${name}" name="${name}" value="${state.values[name] ?? ''}"
      ${options.required ? 'required' : ''} placeholder="${options.placeholder ?? ''}"
      aria-invalid="${state.errors[name] ? 'true' : 'false'}" aria-describedby="${describedBy(name, state, options.hint) ?? ''}" />
    ${errorFor(name, state)}`;
}

export function textArea(state: FormState, name: string, label: string, hint?: string) {
  return html`<label for="${name}">${label}${hint ? html` <span class="hint" id="${name}-hint">${hint}</span>` : ''}</label>
    <textarea id="${name}" name="${name}" aria-invalid="${state.errors[name] ? 'true' : 'false'}"
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
  return html`<label for="${name}">${label}</label>
    <select id="${name}" name="${name}" aria-invalid="${state.errors[name] ? 'true' : 'false'}">
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
  return html`<fieldset aria-describedby="${state.errors[name] ? `${name}-error` : ''}">
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
