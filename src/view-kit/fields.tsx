import type { Child } from 'hono/jsx';
import type { FormState } from './form-state';

export type Choice = string | readonly [value: string, text: string];
const choice = (option: Choice) => (typeof option === 'string' ? [option, option] : option);

const idOf = (state: FormState, name: string) => `${state.idPrefix ?? ''}${name}`;

const describedBy = (state: FormState, name: string, hint?: string) => {
  const id = idOf(state, name);
  const ids = [hint ? `${id}-hint` : '', state.errors[name] ? `${id}-error` : ''];
  return ids.filter(Boolean).join(' ') || undefined;
};

const invalid = (state: FormState, name: string) => (state.errors[name] ? 'true' : 'false');

type FieldProps = { state: FormState; name: string; label: string; hint?: string };

const Label = ({ state, name, label, hint }: FieldProps) => (
  <label for={idOf(state, name)}>
    {label}
    {hint ? (
      <>
        {' '}
        <span class="hint" id={`${idOf(state, name)}-hint`}>
          {hint}
        </span>
      </>
    ) : (
      ''
    )}
  </label>
);

/** The field's message, next to it, named by the field's `aria-describedby`. */
const FieldError = ({ state, name }: { state: FormState; name: string }) =>
  state.errors[name] ? (
    <p class="error" id={`${idOf(state, name)}-error`}>
      {state.errors[name]}
    </p>
  ) : (
    ''
  );

export const TextField = (
  props: FieldProps & { type?: string; required?: boolean; placeholder?: string },
) => (
  <>
    <Label {...props} />
    <input
      type={props.type ?? 'text'}
      id={idOf(props.state, props.name)}
      name={props.name}
      value={props.state.values[props.name] ?? ''}
      required={props.required ?? false}
      placeholder={props.placeholder}
      aria-invalid={invalid(props.state, props.name)}
      aria-describedby={describedBy(props.state, props.name, props.hint)}
    />
    <FieldError {...props} />
  </>
);

/** A file to upload (in a `PostForm` with `multipart`); `accept` lists the types offered. */
export const FileField = (props: FieldProps & { accept?: string }) => (
  <>
    <Label {...props} />
    <input
      type="file"
      id={idOf(props.state, props.name)}
      name={props.name}
      accept={props.accept}
      aria-invalid={invalid(props.state, props.name)}
      aria-describedby={describedBy(props.state, props.name, props.hint)}
    />
    <FieldError {...props} />
  </>
);

export const TextArea = (props: FieldProps) => (
  <>
    <Label {...props} />
    <textarea
      id={idOf(props.state, props.name)}
      name={props.name}
      aria-invalid={invalid(props.state, props.name)}
      aria-describedby={describedBy(props.state, props.name, props.hint)}
    >
      {props.state.values[props.name] ?? ''}
    </textarea>
    <FieldError {...props} />
  </>
);

export const SelectField = (props: FieldProps & { options: readonly Choice[] }) => {
  const selected = props.state.values[props.name];
  return (
    <>
      <Label {...props} />
      <select
        id={idOf(props.state, props.name)}
        name={props.name}
        aria-invalid={invalid(props.state, props.name)}
        aria-describedby={describedBy(props.state, props.name, props.hint)}
      >
        {props.options.map(choice).map(([value, text]) => (
          <option value={value} selected={value === selected}>
            {text}
          </option>
        ))}
      </select>
      <FieldError {...props} />
    </>
  );
};

/** Several values under one name; the form's state holds them joined by commas. */
export const Checkboxes = (props: {
  state: FormState;
  name: string;
  legend: string;
  options: readonly Choice[];
}) => {
  const chosen = new Set((props.state.values[props.name] ?? '').split(',').filter(Boolean));
  return (
    <>
      <fieldset aria-describedby={describedBy(props.state, props.name)}>
        <legend>{props.legend}</legend>
        {props.options.map(choice).map(([value, text]) => (
          <label>
            <input type="checkbox" name={props.name} value={value} checked={chosen.has(value)} />
            {` ${text}`}
          </label>
        ))}
      </fieldset>
      <FieldError state={props.state} name={props.name} />
    </>
  );
};

/** Every console form carries the session's token; a cross-site post cannot know it. */
export const CsrfField = ({ token }: { token: string }) => (
  <input type="hidden" name="_csrf" value={token} />
);

/** The hidden field holding a form's one-time key. */
export const ONE_TIME_KEY_FIELD = '_idempotency_key';

/**
 * A form that creates something carries a key made when it is first shown and kept while it
 * comes back with errors: the server carries out a submit with it once, however often it is
 * sent (a double click, a browser's retry, a reload of the POST).
 */
const OneTimeKeyField = ({ state }: { state: FormState }) => (
  <input
    type="hidden"
    name={ONE_TIME_KEY_FIELD}
    value={state.values[ONE_TIME_KEY_FIELD] || crypto.randomUUID()}
  />
);

/** A console POST form with its CSRF token; the server says what is wrong, field by field. */
export const PostForm = (props: {
  action: string;
  csrf: string;
  /** For a form that creates something: its state, whose one-time key it carries. */
  once?: FormState;
  class?: string;
  livePreview?: string;
  /** For a form that sends a file. */
  multipart?: boolean;
  /**
   * The submit button's text while the form is sent; the button is disabled meanwhile (with
   * the page's `PENDING_FORMS_PATH` script; without it, the server turns a repeat away).
   */
  pending?: string;
  children?: Child;
}) => (
  <form
    method="post"
    action={props.action}
    enctype={props.multipart ? 'multipart/form-data' : undefined}
    class={props.class}
    novalidate
    data-live-preview={props.livePreview}
    data-pending={props.pending}
  >
    <CsrfField token={props.csrf} />
    {props.once ? <OneTimeKeyField state={props.once} /> : ''}
    {props.children}
  </form>
);
