import { IMPACTS, INCIDENT_STATUSES } from '../db/schema';
import { actorOf } from '../http/principal';
import { listComponentRows } from '../modules/status/components.service';
import type { UpdateOptions } from '../modules/status/incidents/incident-etag';
import { postIncidentUpdate } from '../modules/status/incidents/incidents.service';
import { postMaintenanceUpdate } from '../modules/status/incidents/maintenance.service';
import { type FinishedItem, finishedItem } from '../modules/status/incidents/recently-finished';
import { Card, Instant, Pill } from '../view-kit/components';
import { PostForm, SelectField, TextArea } from '../view-kit/fields';
import { emptyForm, type FormState } from '../view-kit/form-state';
import { type ConsoleContext, createConsoleRouter, signedIn } from './console-router';
import { type FormProblem, formPost, type Parsed } from './form-post';
import { PAGE_ROLES } from './layout';
import {
  AffectedComponentFields,
  type ComponentChoices,
  changedMeanwhile,
  changedSinceShown,
  componentChoices,
  foundForStatus,
  type Kind,
  maintenanceUpdateInput,
  reopenPath,
  shownVersion,
  statusSubpage,
  updateInput,
} from './status-fields';

/**
 * A resolved incident or completed maintenance reopened on a page of its own, which the status
 * page's recently resolved list links to: each form offers every component, too heavy to
 * repeat there for each of a week's resolutions.
 */
export const statusReopenRoutes = createConsoleRouter();
const ops = signedIn(PAGE_ROLES.status);

/** The states that reopen each kind; the service refuses the others, this only offers these. */
const REOPEN_STATUSES = {
  incident: INCIDENT_STATUSES.filter((s) => s !== 'resolved'),
  maintenance: ['in_progress', 'verifying'],
} as const;

/**
 * The reopen form. An incident may come back with another impact and other components (as the
 * API's update allows); components left unticked return to the status its resolution took from
 * them. A maintenance's components are its own.
 */
const ReopenForm = (props: {
  item: FinishedItem;
  state: FormState | undefined;
  csrf: string;
  /** An incident's: the components it may affect again. */
  components: ComponentChoices | undefined;
}) => {
  const { item, components } = props;
  const statuses = REOPEN_STATUSES[item.kind];
  const defaults: Record<string, string> =
    item.kind === 'incident'
      ? { status: statuses[0], impact: item.impact, component_status: 'major_outage' }
      : { status: statuses[0] };
  const state = props.state ?? emptyForm(defaults);
  return (
    <PostForm action={reopenPath(item.kind, item.id)} csrf={props.csrf} class="narrow" once={state}>
      {/* Reopened only over this version: not once someone else reopened and finished it. */}
      <input type="hidden" name="version" value={state.values.version ?? String(item.version)} />
      <SelectField state={state} name="status" label="Reopen as" options={statuses} />
      <TextArea state={state} name="body" label="Update" hint="why it is open again (Markdown)" />
      {components ? (
        <>
          <SelectField state={state} name="impact" label="Impact" options={IMPACTS} />
          <AffectedComponentFields
            state={state}
            components={components}
            legend="Affected again (unticked: as before it was resolved)"
          />
        </>
      ) : (
        ''
      )}
      <button type="submit">Reopen</button>
    </PostForm>
  );
};

function reopenPage(kind: Kind) {
  return async (c: ConsoleContext, state?: FormState, problem?: FormProblem) => {
    const id = c.req.param('id') ?? '';
    const lookup = await foundForStatus(c, () => finishedItem(c.var.deps, kind, id));
    if ('page' in lookup) return lookup.page;
    const { item, finished } = lookup.found;
    const rows = finished && item.kind === 'incident' ? await listComponentRows(c.var.deps.db) : [];
    const components =
      item.kind === 'incident'
        ? componentChoices(rows.map((row) => ({ ...row, group: row.isGroup })))
        : undefined;
    return statusSubpage(
      c,
      `Reopen ${item.name}`,
      <Card id="reopen" title={item.kind === 'incident' ? 'Incident' : 'Maintenance'}>
        {finished ? (
          <>
            <p>
              {item.kind === 'incident' ? 'Resolved' : 'Completed'}{' '}
              <Instant at={item.finishedAt.toISOString()} />.
            </p>
            <ReopenForm
              item={item}
              state={state}
              csrf={c.var.session.csrfToken}
              components={components}
            />
          </>
        ) : (
          <p>
            It is open <Pill>{item.status}</Pill>: post its updates on the{' '}
            <a href="/console/status">status page</a>.
          </p>
        )}
      </Card>,
      problem,
    );
  };
}

/**
 * Reopens with the update the API takes; one already open again (by another hand, checked
 * under the incident's lock) is left be.
 */
function reopenRoutes<T>(
  kind: Kind,
  parse: (values: Record<string, string>) => Parsed<T>,
  post: (c: ConsoleContext, id: string, update: T, options: UpdateOptions) => Promise<void>,
) {
  const path = reopenPath(kind, ':id');
  const page = reopenPage(kind);
  statusReopenRoutes.get(path, ops, (c) => page(c));
  statusReopenRoutes.post(
    path,
    ops,
    formPost(parse, {
      page,
      invalid: 'The update was not posted.',
      once: true,
      save: async (c, update, values) => {
        const id = c.req.param('id') ?? '';
        const expected = shownVersion(values.version);
        try {
          await post(c, id, update, { only: 'reopen', expected });
        } catch (error) {
          if (!changedMeanwhile(error)) throw error;
          // Shown again as it is now, with what was typed, over the version it is at now.
          const { item } = await finishedItem(c.var.deps, kind, id);
          const problem = await changedSinceShown(c, kind, id, 'reopen');
          const state = { values: { ...values, version: String(item.version) }, errors: {} };
          return page(c, state, problem);
        }
        return { to: '/console/status', message: 'Update posted.' };
      },
    }),
  );
}

reopenRoutes('incident', updateInput, (c, id, update, options) =>
  postIncidentUpdate(c.var.deps, id, update, actorOf(c.var.session.principal), options),
);
reopenRoutes('maintenance', maintenanceUpdateInput, (c, id, update, options) =>
  postMaintenanceUpdate(c.var.deps, id, update, actorOf(c.var.session.principal), options),
);
