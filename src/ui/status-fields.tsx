import type { Child } from 'hono/jsx';
import { COMPONENT_STATUSES } from '../db/schema';
import { AppError } from '../http/app-error';
import type { IncidentPrecondition } from '../modules/status/incidents/incident-etag';
import { incidentJsonById } from '../modules/status/public/public-status.service';
import { STATUS_LABEL } from '../modules/status/public/status-page';
import { IncidentUpdateSchema, MaintenanceUpdateSchema } from '../modules/status/status-schemas';
import { EmptyState, PageHeader } from '../view-kit/components';
import { Checkboxes, type Choice, SelectField } from '../view-kit/fields';
import type { FormState } from '../view-kit/form-state';
import { type ConsoleContext, foundOr, render } from './console-router';
import { type FormProblem, withSchema } from './form-post';

// What the status page and the pages it links to (a component, a reopening) share.

const BACK = { href: '/console/status', label: 'Back to status' };

/** What a page under Status is about, or the not found page for a mistyped or unknown id. */
export const foundForStatus = <T,>(c: ConsoleContext, read: () => Promise<T>) =>
  foundOr(c, read, BACK);

/** A page under Status: its title, the way back, and what is wrong with its form if anything. */
export const statusSubpage = (
  c: ConsoleContext,
  title: string,
  content: Child,
  problem?: FormProblem,
) =>
  render(
    c,
    title,
    <>
      <PageHeader title={title}>
        <p>
          <a href={BACK.href}>{BACK.label}</a>
        </p>
      </PageHeader>
      {content}
    </>,
    problem ? { status: problem.status, flash: problemFlash(problem) } : {},
  );

/** A form's problem as the page's flash, with its link when it has one. */
export const problemFlash = (problem: FormProblem) => ({
  ok: false,
  text: problem.summary,
  ...(problem.link ? { link: problem.link } : {}),
});

export const list = (value: string | undefined) => (value ?? '').split(',').filter(Boolean);

export type Kind = 'incident' | 'maintenance';
const kindPath = (kind: Kind) => (kind === 'incident' ? 'incidents' : 'maintenances');
export const updatesPath = (kind: Kind, id: string) =>
  `/console/status/${kindPath(kind)}/${id}/updates`;
export const reopenPath = (kind: Kind, id: string) =>
  `/console/status/${kindPath(kind)}/${id}/reopen`;

const AFFECTED_STATUSES = COMPONENT_STATUSES.filter((s) => s !== 'operational').map(
  (s) => [s, STATUS_LABEL[s]] as const,
);

/** Components to choose from: `choices` may be ticked (groups too), `own` given a status each. */
export type ComponentChoices = { choices: Choice[]; own: (readonly [id: string, name: string])[] };

/** A group ticked stands for every component in it; only components take a status of their own. */
export function componentChoices(
  components: readonly { id: string; name: string; group: boolean }[],
): ComponentChoices {
  return {
    choices: components.map(
      (comp) => [comp.id, comp.group ? `${comp.name} (every component in it)` : comp.name] as const,
    ),
    own: components.filter((comp) => !comp.group).map((comp) => [comp.id, comp.name] as const),
  };
}

/** The components an incident affects, ticked at one status or each given its own. */
export const AffectedComponentFields = (props: {
  state: FormState;
  components: ComponentChoices;
  legend: string;
}) => {
  const { choices, own } = props.components;
  return (
    <>
      {choices.length > 0 ? (
        <Checkboxes state={props.state} name="components" legend={props.legend} options={choices} />
      ) : (
        <EmptyState>Add components to mark them affected.</EmptyState>
      )}
      <SelectField
        state={props.state}
        name="component_status"
        label="Their status"
        options={AFFECTED_STATUSES}
      />
      {own.length > 1 ? (
        <details open={own.some(([id]) => props.state.values[`status_${id}`])}>
          <summary>Give a component its own status</summary>
          {own.map(([id, name]) => (
            <SelectField
              state={props.state}
              name={`status_${id}`}
              label={`${name} status`}
              options={[['', 'as above (when ticked)'], ...AFFECTED_STATUSES]}
            />
          ))}
        </details>
      ) : (
        ''
      )}
    </>
  );
};

/** Ticked components at the common status, and any given its own status (ticked or not). */
export function affectedComponents(values: Record<string, string>) {
  const own = Object.entries(values)
    .filter(([field, status]) => field.startsWith('status_') && status)
    .map(([field, status]) => ({ id: field.slice('status_'.length), status }));
  const ticked = list(values.components)
    .filter((id) => !own.some((o) => o.id === id))
    .map((id) => ({ id, status: values.component_status }));
  return [...ticked, ...own];
}

export const updateInput = withSchema(IncidentUpdateSchema, (values) => ({
  status: values.status,
  body: values.body,
  // Only a reopening's form has it: unsent, the incident keeps its impact.
  impact: values.impact || undefined,
  components: affectedComponents(values),
}));

export const maintenanceUpdateInput = withSchema(MaintenanceUpdateSchema, (values) => ({
  status: values.status,
  body: values.body,
}));

/**
 * The version an update or reopen form was shown at, as its precondition; none from a form
 * without one (shown before forms carried it), which posts as an API request without
 * `If-Match` does.
 */
export function shownVersion(value: string | undefined): IncidentPrecondition | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new AppError(
      'validation_failed',
      'The form does not say which version it was shown at; reload the page.',
      [{ location: 'body', path: 'version', message: 'must be the version the form was shown at' }],
    );
  }
  return { shownVersion: Number(value) };
}

/** Whether the service refused a change for a precondition that no longer holds. */
export const changedMeanwhile = (error: unknown) =>
  error instanceof AppError && error.code === 'precondition_failed';

const EXCERPT = 200;

/**
 * Why a form shown before someone else's update posts nothing: what the incident or maintenance
 * is now and its latest update, so ops decide on theirs from it. Where the page shows the form
 * again (open on the status page, finished on its reopen page) what was typed is kept there;
 * one the status page no longer offers an update form for links to its reopen page.
 */
export async function changedSinceShown(
  c: ConsoleContext,
  kind: Kind,
  id: string,
  page: 'status' | 'reopen',
): Promise<{ status: 409; summary: string; link?: { href: string; label: string } }> {
  const now = await incidentJsonById(c.var.deps, id, kind);
  const latest = now?.incident_updates[0];
  const body = latest?.body ?? '';
  const excerpt = body.length > EXCERPT ? `${body.slice(0, EXCERPT - 1)}…` : body;
  const finished = now?.status === 'resolved' || now?.status === 'completed';
  const formAgain = finished === (page === 'reopen');
  const when = latest?.display_at.slice(0, 16).replace('T', ' ');
  const summary =
    `Nothing was posted: "${now?.name ?? id}" changed since this page was shown. ` +
    `It is ${now?.status ?? 'gone'} now` +
    (latest ? `; its latest update (${latest.status}, ${when} UTC) says "${excerpt}".` : '.') +
    (formAgain
      ? ' What you typed is kept below: look it over and post it again if it still holds.'
      : finished
        ? ' Reopen it from its own page if it is a problem still.'
        : ' Post its updates on the status page.');
  const link = formAgain
    ? undefined
    : finished
      ? { href: reopenPath(kind, id), label: 'Reopen it' }
      : { href: '/console/status', label: 'Back to status' };
  return { status: 409, summary, ...(link ? { link } : {}) };
}
