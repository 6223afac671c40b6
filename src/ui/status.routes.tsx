import { COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES } from '../db/schema';
import { actorOf } from '../http/principal';
import { createComponent } from '../modules/status/components.service';
import { incidentVersions } from '../modules/status/incidents/incident-etag';
import { openIncident, postIncidentUpdate } from '../modules/status/incidents/incidents.service';
import {
  postMaintenanceUpdate,
  scheduleMaintenance,
} from '../modules/status/incidents/maintenance.service';
import { type FinishedItem, finishedSince } from '../modules/status/incidents/recently-finished';
import { type PublicStatus, publicStatus } from '../modules/status/public/public-status.service';
import { STATUS_LABEL } from '../modules/status/public/status-page';
import {
  ComponentInputSchema,
  IncidentOpenSchema,
  MaintenanceScheduleSchema,
} from '../modules/status/status-schemas';
import { Card, EmptyState, Instant, PageHeader, Pill, Table } from '../view-kit/components';
import { Checkboxes, PostForm, SelectField, TextArea, TextField } from '../view-kit/fields';
import { emptyForm, type FormState, utcInstant } from '../view-kit/form-state';
import { type ConsoleContext, createConsoleRouter, render, signedIn } from './console-router';
import { type FormProblem, firstSegment, formPost, withSchema } from './form-post';
import { PAGE_ROLES } from './layout';
import {
  AffectedComponentFields,
  affectedComponents,
  type ComponentChoices,
  changedMeanwhile,
  changedSinceShown,
  componentChoices,
  type Kind,
  list,
  maintenanceUpdateInput,
  problemFlash,
  reopenPath,
  shownVersion,
  updateInput,
  updatesPath,
} from './status-fields';

export const statusRoutes = createConsoleRouter();
const ops = signedIn(PAGE_ROLES.status);

type Forms = {
  component?: FormState;
  incident?: FormState;
  maintenance?: FormState;
  updates?: Record<string, FormState>;
};

type Component = PublicStatus['components'][number];
type Incident = PublicStatus['unresolved'][number];

const DAY_MS = 86_400_000;
/** A resolution found premature soon after can be undone here; older ones through the API. */
const REOPENABLE_DAYS = 7;
/** A week with more is rare, and the API reopens the rest. */
const REOPENABLE_AT_MOST = 100;

const NO_COMPONENTS =
  'No component yet. Add the parts of your product customers notice, such as API or Dashboard.';

const ComponentList = ({ components }: { components: Component[] }) => (
  <Table
    rows={components}
    empty={NO_COMPONENTS}
    columns={[
      { header: 'Component', cell: (comp) => (comp.group ? <b>{comp.name}</b> : comp.name) },
      { header: 'Status', cell: (comp) => STATUS_LABEL[comp.status] },
      {
        header: '',
        cell: (comp) => (
          <a href={`/console/status/components/${comp.id}`} aria-label={`Edit ${comp.name}`}>
            Edit
          </a>
        ),
      },
    ]}
  />
);

const OpenIncidentForm = (props: {
  state: FormState;
  csrf: string;
  components: ComponentChoices;
}) => (
  <PostForm action="/console/status/incidents" csrf={props.csrf} once={props.state}>
    <TextField
      state={props.state}
      name="name"
      label="What is wrong"
      required
      placeholder="Elevated API error rates"
    />
    <TextArea
      state={props.state}
      name="body"
      label="Message"
      hint="shown on the status page and in the banner (Markdown)"
    />
    <SelectField state={props.state} name="impact" label="Impact" options={IMPACTS} />
    <AffectedComponentFields
      state={props.state}
      components={props.components}
      legend="Affected components"
    />
    <button type="submit">Open incident and notify affected accounts</button>
  </PostForm>
);

/** An update usually moves an incident one step on: investigating, identified, monitoring. */
const nextState = (current: string) => {
  const states: readonly string[] = INCIDENT_STATUSES;
  const at = states.indexOf(current);
  return (at >= 0 && INCIDENT_STATUSES[at + 1]) || 'resolved';
};

/**
 * The version an update form was shown at: posted only over it, so one shown before someone
 * else's update (a resolution) is refused rather than applied unseen. A form shown again
 * keeps the version it was sent with, or the one it was refused against.
 */
const ShownVersion = (props: { state: FormState | undefined; version: number | undefined }) => {
  const version = props.state?.values.version ?? props.version?.toString();
  return version ? <input type="hidden" name="version" value={version} /> : '';
};

const OpenItem = (props: {
  incident: Incident;
  version: number | undefined;
  state: FormState | undefined;
  csrf: string;
  now: string;
}) => {
  const { incident } = props;
  const prefix = `u-${incident.id.slice(-8)}`;
  const next = nextState(incident.status);
  const state = { ...(props.state ?? emptyForm({ status: next })), idPrefix: `${prefix}-` };
  return (
    <article aria-labelledby={`${prefix}-h`}>
      <h3 id={`${prefix}-h`}>
        {incident.name} <Pill>{incident.scheduled_for ? 'maintenance' : 'incident'}</Pill>{' '}
        <Pill>{incident.status}</Pill>
      </h3>
      {incident.scheduled_for ? (
        <MaintenanceUpdate
          maintenance={incident}
          version={props.version}
          state={props.state}
          csrf={props.csrf}
          now={props.now}
        />
      ) : (
        <PostForm
          action={`/console/status/incidents/${incident.id}/updates`}
          csrf={props.csrf}
          once={state}
        >
          <ShownVersion state={props.state} version={props.version} />
          <SelectField state={state} name="status" label="New state" options={INCIDENT_STATUSES} />
          <TextArea state={state} name="body" label="Update" hint="what changed (Markdown)" />
          {incident.components.length > 0 ? (
            <details>
              <summary>Change a component's status</summary>
              {incident.components.map((comp) => (
                <SelectField
                  state={state}
                  name={`status_${comp.id}`}
                  label={`${comp.name} now`}
                  options={[
                    ['', `unchanged (${STATUS_LABEL[comp.status]})`],
                    ...COMPONENT_STATUSES.map((s) => [s, STATUS_LABEL[s]] as const),
                  ]}
                />
              ))}
            </details>
          ) : (
            ''
          )}
          <button type="submit">Post update</button>
        </PostForm>
      )}
    </article>
  );
};

/** The states a maintenance can be moved to from each, as the API takes them. */
const MAINTENANCE_NEXT = {
  scheduled: ['scheduled', 'in_progress', 'completed'],
  under_way: ['in_progress', 'verifying', 'completed'],
} as const;

/**
 * An open maintenance, with a form for its next update: before its window it can be started
 * early or called off; in it, said to be verifying or completed early. Past its window (it was
 * reopened, so the clock no longer moves it) it stays open until completed here.
 */
const MaintenanceUpdate = (props: {
  maintenance: Incident;
  version: number | undefined;
  state: FormState | undefined;
  csrf: string;
  now: string;
}) => {
  const { maintenance } = props;
  const idPrefix = `u-${maintenance.id.slice(-8)}-`;
  const overrun = (maintenance.scheduled_until ?? '') <= props.now;
  const scheduled = maintenance.status === 'scheduled';
  const next = scheduled ? 'in_progress' : 'completed';
  const state = { ...(props.state ?? emptyForm({ status: next })), idPrefix };
  return (
    <>
      {overrun ? (
        <p>
          Its window ended <Instant at={maintenance.scheduled_until} />; it stays open until you
          complete it.
        </p>
      ) : (
        <p>
          Window <Instant at={maintenance.scheduled_for} /> to{' '}
          <Instant at={maintenance.scheduled_until} />; it moves by itself, or post an update to{' '}
          {scheduled ? 'start it early or call it off' : 'say how it goes or complete it early'}.
        </p>
      )}
      <PostForm action={updatesPath('maintenance', maintenance.id)} csrf={props.csrf} once={state}>
        <ShownVersion state={props.state} version={props.version} />
        <SelectField
          state={state}
          name="status"
          label="New state"
          options={MAINTENANCE_NEXT[scheduled ? 'scheduled' : 'under_way']}
        />
        <TextArea state={state} name="body" label="Update" hint="what changed (Markdown)" />
        <button type="submit">Post update</button>
      </PostForm>
    </>
  );
};

/** Resolved incidents and completed maintenance, each linking to the page that reopens it. */
const ResolvedList = ({ items }: { items: FinishedItem[] }) => (
  <Table
    rows={items}
    columns={[
      { header: 'Name', cell: (item) => item.name },
      { header: 'Kind', cell: (item) => <Pill>{item.kind}</Pill> },
      {
        header: 'Resolved or completed',
        cell: (item) => <Instant at={item.finishedAt.toISOString()} />,
      },
      {
        header: '',
        cell: (item) => (
          <a href={reopenPath(item.kind, item.id)} aria-label={`Reopen ${item.name}`}>
            Reopen
          </a>
        ),
      },
    ]}
  />
);

async function statusPage(c: ConsoleContext, forms: Forms = {}, problem?: FormProblem) {
  const { deps, session } = c.var;
  // The versions first: a form never holds a later version than the page shows it at.
  const versions = await incidentVersions(deps.db, 'unfinished');
  // The public view: maintenance moves with its window there, and components under it say so.
  const status = await publicStatus(deps);
  const now = deps.clock.now();
  const { components } = status;
  const open = [...status.unresolved, ...status.active, ...status.upcoming];
  // Reopened between the two reads: its version now (the page shows it open, as it is).
  const reopened = open.map((item) => item.id).filter((id) => !versions.has(id));
  for (const [id, version] of await incidentVersions(deps.db, reopened)) versions.set(id, version);
  const since = new Date(now.getTime() - REOPENABLE_DAYS * DAY_MS);
  const resolved = await finishedSince(deps, since, REOPENABLE_AT_MOST);
  const choices = componentChoices(components);
  // Prefixed ids: the page's forms share field names.
  const incidentForm = {
    ...(forms.incident ?? emptyForm({ impact: 'major', component_status: 'major_outage' })),
    idPrefix: 'incident-',
  };
  const componentForm = { ...(forms.component ?? emptyForm()), idPrefix: 'component-' };
  const maintenanceForm = { ...(forms.maintenance ?? emptyForm()), idPrefix: 'maintenance-' };
  const csrf = session.csrfToken;
  return render(
    c,
    'Status',
    <>
      <PageHeader title="Status" />
      <div class="grid">
        <Card id="components" title="Components">
          <ComponentList components={components} />
          <PostForm action="/console/status/components" csrf={csrf} once={componentForm}>
            <TextField state={componentForm} name="name" label="New component" required />
            <button type="submit">Add component</button>
          </PostForm>
          <p>
            <a href="/status">Public status page</a>
          </p>
        </Card>
        <Card id="open" title="Open an incident">
          <OpenIncidentForm state={incidentForm} csrf={csrf} components={choices} />
        </Card>
      </div>
      <Card id="incidents" title="Open incidents and maintenance">
        {open.length === 0 ? (
          <EmptyState>Nothing open.</EmptyState>
        ) : (
          open.map((incident) => (
            <OpenItem
              incident={incident}
              version={versions.get(incident.id)}
              state={forms.updates?.[incident.id]}
              csrf={csrf}
              now={now.toISOString()}
            />
          ))
        )}
      </Card>
      <Card id="resolved" title="Recently resolved">
        {resolved.items.length === 0 ? (
          <EmptyState>Nothing resolved in the last {REOPENABLE_DAYS} days.</EmptyState>
        ) : (
          <ResolvedList items={resolved.items} />
        )}
        {resolved.more ? (
          <p>
            More were resolved in the last {REOPENABLE_DAYS} days than the {REOPENABLE_AT_MOST}{' '}
            latest shown; reopen an earlier one through the API (an update to{' '}
            <code>/v1/status/incidents/{'{id}'}/updates</code> or{' '}
            <code>/v1/status/maintenances/{'{id}'}/updates</code>).
          </p>
        ) : (
          ''
        )}
      </Card>
      <Card id="maintenance" title="Schedule maintenance">
        <PostForm action="/console/status/maintenances" csrf={csrf} once={maintenanceForm}>
          <TextField state={maintenanceForm} name="name" label="Name" required />
          <TextArea state={maintenanceForm} name="body" label="Message" />
          <TextField
            state={maintenanceForm}
            name="scheduled_for"
            label="From (UTC)"
            type="datetime-local"
          />
          <TextField
            state={maintenanceForm}
            name="scheduled_until"
            label="Until (UTC)"
            type="datetime-local"
          />
          {choices.choices.length > 0 ? (
            <Checkboxes
              state={maintenanceForm}
              name="components"
              legend="Components"
              options={choices.choices}
            />
          ) : (
            ''
          )}
          <button type="submit">Schedule</button>
        </PostForm>
      </Card>
    </>,
    {
      status: problem?.status,
      flash: problem ? problemFlash(problem) : undefined,
    },
  );
}

statusRoutes.get('/console/status', ops, (c) => statusPage(c));

statusRoutes.post(
  '/console/status/components',
  ops,
  formPost(
    withSchema(ComponentInputSchema, (values) => ({ name: values.name })),
    {
      page: (c, component, problem) => statusPage(c, { component }, problem),
      invalid: 'The component was not added.',
      once: true,
      save: async (c, input) => {
        await createComponent(c.var.deps, input);
        return { to: '/console/status', message: `Added ${input.name}.` };
      },
    },
  ),
);

const incidentInput = withSchema(IncidentOpenSchema, (values) => ({
  name: values.name,
  body: values.body,
  impact: values.impact,
  components: affectedComponents(values),
}));

statusRoutes.post(
  '/console/status/incidents',
  ops,
  formPost(incidentInput, {
    page: (c, incident, problem) => statusPage(c, { incident }, problem),
    invalid: 'The incident was not opened.',
    once: true,
    toField: firstSegment,
    save: async (c, input) => {
      await openIncident(c.var.deps, input, actorOf(c.var.session.principal));
      return { to: '/console/status', message: `Opened "${input.name}".` };
    },
  }),
);

/**
 * Someone posted to it after the page was shown: nothing is posted, and the page says what it
 * is now, with the form (still open) keeping what was typed and the version it is now, so
 * posting it again adds it knowingly.
 */
async function refusedAsStale(
  c: ConsoleContext,
  kind: Kind,
  id: string,
  values: Record<string, string>,
) {
  // The version first, as the page is shown: never a later one than the message tells of.
  const current = (await incidentVersions(c.var.deps.db, [id])).get(id);
  const problem = await changedSinceShown(c, kind, id, 'status');
  const state = { values: { ...values, version: String(current ?? '') }, errors: {} };
  return statusPage(c, { updates: { [id]: state } }, problem);
}

statusRoutes.post('/console/status/incidents/:id/updates', ops, (c) => {
  const id = c.req.param('id') ?? '';
  return formPost(updateInput, {
    page: (c, update, problem) => statusPage(c, { updates: { [id]: update } }, problem),
    invalid: 'The update was not posted.',
    once: true,
    save: async (c, update, values) => {
      const expected = shownVersion(values.version);
      try {
        await postIncidentUpdate(c.var.deps, id, update, actorOf(c.var.session.principal), {
          expected,
        });
      } catch (error) {
        if (!changedMeanwhile(error)) throw error;
        return refusedAsStale(c, 'incident', id, values);
      }
      const message =
        update.status === 'resolved' ? 'Resolved; its banner has ended.' : 'Update posted.';
      return { to: '/console/status', message };
    },
  })(c);
});

const maintenanceInput = withSchema(MaintenanceScheduleSchema, (values) => ({
  name: values.name,
  body: values.body,
  scheduled_for: utcInstant(values.scheduled_for) ?? '',
  scheduled_until: utcInstant(values.scheduled_until) ?? '',
  components: list(values.components),
}));

statusRoutes.post(
  '/console/status/maintenances',
  ops,
  formPost(maintenanceInput, {
    page: (c, maintenance, problem) => statusPage(c, { maintenance }, problem),
    invalid: 'The maintenance was not scheduled.',
    once: true,
    toField: firstSegment,
    save: async (c, input) => {
      await scheduleMaintenance(c.var.deps, input, actorOf(c.var.session.principal));
      return { to: '/console/status', message: `Scheduled "${input.name}".` };
    },
  }),
);

statusRoutes.post('/console/status/maintenances/:id/updates', ops, (c) => {
  const id = c.req.param('id') ?? '';
  return formPost(maintenanceUpdateInput, {
    page: (c, update, problem) => statusPage(c, { updates: { [id]: update } }, problem),
    invalid: 'The update was not posted.',
    once: true,
    save: async (c, update, values) => {
      const expected = shownVersion(values.version);
      try {
        await postMaintenanceUpdate(c.var.deps, id, update, actorOf(c.var.session.principal), {
          expected,
        });
      } catch (error) {
        if (!changedMeanwhile(error)) throw error;
        return refusedAsStale(c, 'maintenance', id, values);
      }
      const message =
        update.status === 'completed' ? 'Completed; its banner has ended.' : 'Update posted.';
      return { to: '/console/status', message };
    },
  })(c);
});
