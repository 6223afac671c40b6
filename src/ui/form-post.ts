import { isMultiLineText, MULTI_LINE_MESSAGE } from '../http/text-input';
import type { Flash } from '../view-kit/components';
import { type FormState, issuesByField } from '../view-kit/form-state';
import {
  type ConsoleContext,
  done,
  fieldMessages,
  knownFailure,
  postedForm,
} from './console-router';
import { type CarriedOut, firstAnswer, oncePerKey, type ShownOnce } from './one-time-key';

/** A form's fields made into a service's input, or the message for each field that is wrong. */
export type Parsed<T> = { data: T } | { errors: Record<string, string> };

type SafeParse<T> =
  | { success: true; data: T }
  | {
      success: false;
      error: { issues: readonly { path: PropertyKey[]; code: string; message: string }[] };
    };

/** What a form's fields make, judged by the schema the API judges the same input with. */
export function withSchema<T>(
  schema: { safeParse(input: unknown): SafeParse<T> },
  read: (values: Record<string, string>) => unknown,
  toField?: (path: string) => string,
): (values: Record<string, string>) => Parsed<T> {
  return (values) => {
    const input = read(values);
    const parsed = schema.safeParse(input);
    return parsed.success
      ? { data: parsed.data }
      : { errors: issuesByField(parsed.error.issues, input, toField) };
  };
}

export type FormProblem = { status: 400 | 409 | 413; summary: string; link?: Flash['link'] };

/**
 * A console form's POST handler: check the CSRF token, parse, re-render the form with the
 * field messages on error, call the service, then redirect with a flash (post/redirect/get).
 */
export function formPost<T>(
  parse: (values: Record<string, string>) => Parsed<T>,
  spec: {
    /** The page holding the form, re-rendered with what was typed and what is wrong. */
    page: (
      c: ConsoleContext,
      state: FormState,
      problem: FormProblem,
    ) => Response | Promise<Response>;
    /** The flash when fields are wrong, e.g. "The event was not added." */
    invalid: string;
    /**
     * Calls the service; says where to go next and what to say there (or answers itself, or
     * answers the first submit only, see `ShownOnce`).
     */
    save: (
      c: ConsoleContext,
      data: T,
      values: Record<string, string>,
    ) => Promise<{ to: string; message: string } | Response | ShownOnce>;
    /** A service error's field paths, as the form's field names. */
    toField?: (path: string) => string;
    /**
     * The form creates or posts something and carries a one-time key (`PostForm`'s `once`):
     * a repeat of a submit that was carried out leads where it led (`oncePerKey`). A function
     * says which submits claim the key (not one that only shows, such as a preview).
     */
    once?: true | ((values: Record<string, string>) => boolean);
  },
) {
  return async (c: ConsoleContext) => {
    const values = await postedForm(c);
    const parsed = parse(values);
    const unstorable = fieldsWithControlCharacters(values);
    if ('errors' in parsed || Object.keys(unstorable).length > 0) {
      const errors = { ...('errors' in parsed ? parsed.errors : {}), ...unstorable };
      return spec.page(c, { values, errors }, { status: 400, summary: spec.invalid });
    }
    const carryOut = async (): Promise<CarriedOut> => {
      let next: { to: string; message: string } | Response | ShownOnce;
      try {
        next = await spec.save(c, parsed.data, values);
      } catch (error) {
        const { errors, summary, status } = fieldMessages(knownFailure(c, error), spec.toField);
        return spec.page(c, { values, errors }, { status, summary });
      }
      return next instanceof Response || 'shownOnce' in next
        ? next
        : done(c, next.to, next.message);
    };
    const claims = typeof spec.once === 'function' ? spec.once(values) : spec.once === true;
    return claims ? oncePerKey(c, values, carryOut) : firstAnswer(await carryOut());
  };
}

/**
 * Fields holding a control character a browser's text field never sends (NUL, escape…; line
 * breaks and tabs are fine): refused on the form whatever the service would do with them, as
 * PostgreSQL cannot store NUL and the others show as nothing.
 */
function fieldsWithControlCharacters(values: Record<string, string>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [field, value] of Object.entries(values)) {
    if (!isMultiLineText(value)) errors[field] = `This ${MULTI_LINE_MESSAGE}.`;
  }
  return errors;
}

/** The first segment of a service error's path: `components.0.status` is the components field. */
export const firstSegment = (path: string) => path.split('.')[0] ?? path;
