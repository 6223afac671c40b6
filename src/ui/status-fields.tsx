import type { Child } from 'hono/jsx';
import { COMPONENT_STATUSES } from '../db/schema';
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
    problem ? { status: problem.status, flash: { ok: false, text: problem.summary } } : {},
  );

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
