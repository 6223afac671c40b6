import { html } from 'hono/html';
import { COMPONENT_STATUSES, IMPACTS } from '../db/schema';
import { actorOf } from '../modules/campaigns/campaigns.routes';
import { createComponent } from '../modules/status/components.service';
import {
  openIncident,
  postIncidentUpdate,
  scheduleMaintenance,
} from '../modules/status/incidents.service';
import { publicStatus } from '../modules/status/public-status.service';
import { STATUS_LABEL } from '../modules/status/status-page';
import {
  ComponentInputSchema,
  IncidentOpenSchema,
  IncidentUpdateSchema,
  MaintenanceScheduleSchema,
} from '../modules/status/status-schemas';
import {
  type ConsoleContext,
  createConsoleRouter,
  done,
  fieldMessages,
  postedForm,
  render,
  signedIn,
} from './console-router';
import {
  checkboxes,
  emptyForm,
  type FormState,
  issuesByField,
  selectField,
  textArea,
  textField,
  utcInstant,
} from './form-fields';
import { csrfField } from './layout';

export const statusRoutes = createConsoleRouter();
const ops = signedIn(['ops']);
const list = (value: string | undefined) => (value ?? '').split(',').filter(Boolean);

type Forms = {
  component?: FormState;
  incident?: FormState;
  maintenance?: FormState;
  updates?: Record<string, FormState>;
};

async function statusPage(
  c: ConsoleContext,
  forms: Forms = {},
  options: { status?: 200 | 400 | 409; summary?: string } = {},
) {
  const { deps, session } = c.var;
  // The public view: maintenance moves with its window there, and components under it say so.
  const status = await publicStatus(deps);
  const { components } = status;
  const open = [...status.unresolved, ...status.active, ...status.upcoming];
  const choices = components
    .filter((comp) => !comp.group)
    .map((comp): [string, string] => [comp.id, comp.name]);
  // Prefixed ids: the page's forms share field names.
  const incidentForm = {
    ...(forms.incident ?? emptyForm({ impact: 'major', component_status: 'major_outage' })),
    idPrefix: 'incident-',
  };
  const componentForm = { ...(forms.component ?? emptyForm()), idPrefix: 'component-' };
  const maintenanceForm = { ...(forms.maintenance ?? emptyForm()), idPrefix: 'maintenance-' };
  return render(
    c,
    'Status',
    html`<h1>Status</h1>
    <div class="grid">
      <section class="card" aria-labelledby="components-h"><h2 id="components-h">Components</h2>
        ${components.length === 0 ? html`<p class="empty">No component yet. Add the parts of your product customers notice, such as API or Dashboard.</p>` : html`<table><tbody>${components.map((comp) => html`<tr><td>${comp.group ? html`<b>${comp.name}</b>` : comp.name}</td><td>${STATUS_LABEL[comp.status]}</td></tr>`)}</tbody></table>`}
        <form method="post" action="/console/status/components" novalidate>${csrfField(session)}
          ${textField(componentForm, 'name', 'New component', { required: true })}
          <button type="submit">Add component</button>
        </form>
        <p><a href="/status">Public status page</a></p>
      </section>
      <section class="card" aria-labelledby="open-h"><h2 id="open-h">Open an incident</h2>
        <form method="post" action="/console/status/incidents" novalidate>${csrfField(session)}
          ${textField(incidentForm, 'name', 'What is wrong', { required: true, placeholder: 'Elevated API error rates' })}
          ${textArea(incidentForm, 'body', 'Message', 'shown on the status page and in the banner (Markdown)')}
          ${selectField(incidentForm, 'impact', 'Impact', IMPACTS)}
          ${choices.length > 0 ? checkboxes(incidentForm, 'components', 'Affected components', choices) : html`<p class="empty">Add components to mark them affected.</p>`}
          ${selectField(
            incidentForm,
            'component_status',
            'Their status',
            COMPONENT_STATUSES.filter((s) => s !== 'operational').map((s): [string, string] => [
              s,
              STATUS_LABEL[s],
            ]),
          )}
          <button type="submit">Open incident and notify affected accounts</button>
        </form>
      </section>
    </div>
    <section class="card" aria-labelledby="incidents-h"><h2 id="incidents-h">Open incidents and maintenance</h2>
      ${
        open.length === 0
          ? html`<p class="empty">Nothing open.</p>`
          : open.map((incident) => {
              const prefix = `u-${incident.id.slice(-8)}`;
              const form = {
                ...(forms.updates?.[incident.id] ?? emptyForm({ status: 'resolved' })),
                idPrefix: `${prefix}-`,
              };
              return html`<article aria-labelledby="${prefix}-h"><h3 id="${prefix}-h">${incident.name} <span class="pill">${incident.scheduled_for ? 'maintenance' : 'incident'}</span> <span class="pill">${incident.status}</span></h3>
          ${
            !incident.scheduled_for
              ? html`<form method="post" action="/console/status/incidents/${incident.id}/updates" novalidate>${csrfField(session)}
            ${selectField(form, 'status', 'New state', ['investigating', 'identified', 'monitoring', 'resolved'])}
            ${textArea(form, 'body', 'Update', 'what changed (Markdown)')}
            <button type="submit">Post update</button>
          </form>`
              : html`<p>Window ${incident.scheduled_for?.slice(0, 16)} to ${incident.scheduled_until?.slice(0, 16)} UTC; it moves by itself.</p>`
          }
        </article>`;
            })
      }
    </section>
    <section class="card" aria-labelledby="maintenance-h"><h2 id="maintenance-h">Schedule maintenance</h2>
      <form method="post" action="/console/status/maintenances" novalidate>${csrfField(session)}
        ${textField(maintenanceForm, 'name', 'Name', { required: true })}
        ${textArea(maintenanceForm, 'body', 'Message')}
        ${textField(maintenanceForm, 'scheduled_for', 'From (UTC)', { type: 'datetime-local' })}
        ${textField(maintenanceForm, 'scheduled_until', 'Until (UTC)', { type: 'datetime-local' })}
        ${choices.length > 0 ? checkboxes(maintenanceForm, 'components', 'Components', choices) : ''}
        <button type="submit">Schedule</button>
      </form>
    </section>`,
    {
      status: options.status,
      flash: options.summary ? { ok: false, text: options.summary } : undefined,
    },
  );
}

statusRoutes.get('/console/status', ops, (c) => statusPage(c));

statusRoutes.post('/console/status/components', ops, async (c) => {
  const values = await postedForm(c);
  const parsed = ComponentInputSchema.safeParse({ name: values.name });
  if (!parsed.success)
    return statusPage(
      c,
      { component: { values, errors: issuesByField(parsed.error.issues) } },
      { status: 400, summary: 'The component was not added.' },
    );
  await createComponent(c.var.deps, parsed.data);
  return done(c, '/console/status', `Added ${parsed.data.name}.`);
});

statusRoutes.post('/console/status/incidents', ops, async (c) => {
  const values = await postedForm(c);
  const parsed = IncidentOpenSchema.safeParse({
    name: values.name,
    body: values.body,
    impact: values.impact,
    components: list(values.components).map((id) => ({ id, status: values.component_status })),
  });
  if (!parsed.success)
    return statusPage(
      c,
      { incident: { values, errors: issuesByField(parsed.error.issues) } },
      { status: 400, summary: 'The incident was not opened.' },
    );
  try {
    await openIncident(c.var.deps, parsed.data, actorOf(c.var.session.principal));
  } catch (error) {
    const { errors, summary } = fieldMessages(error, (path) => path.split('.')[0] ?? path);
    return statusPage(c, { incident: { values, errors } }, { status: 400, summary });
  }
  return done(c, '/console/status', `Opened "${parsed.data.name}".`);
});

statusRoutes.post('/console/status/incidents/:id/updates', ops, async (c) => {
  const id = c.req.param('id') ?? '';
  const values = await postedForm(c);
  const parsed = IncidentUpdateSchema.safeParse({ status: values.status, body: values.body });
  if (!parsed.success)
    return statusPage(
      c,
      { updates: { [id]: { values, errors: issuesByField(parsed.error.issues) } } },
      { status: 400, summary: 'The update was not posted.' },
    );
  try {
    await postIncidentUpdate(c.var.deps, id, parsed.data, actorOf(c.var.session.principal));
  } catch (error) {
    const { errors, summary } = fieldMessages(error);
    return statusPage(c, { updates: { [id]: { values, errors } } }, { status: 409, summary });
  }
  return done(
    c,
    '/console/status',
    parsed.data.status === 'resolved' ? 'Resolved; its banner has ended.' : 'Update posted.',
  );
});

statusRoutes.post('/console/status/maintenances', ops, async (c) => {
  const values = await postedForm(c);
  const parsed = MaintenanceScheduleSchema.safeParse({
    name: values.name,
    body: values.body,
    scheduled_for: utcInstant(values.scheduled_for) ?? '',
    scheduled_until: utcInstant(values.scheduled_until) ?? '',
    components: list(values.components),
  });
  if (!parsed.success)
    return statusPage(
      c,
      { maintenance: { values, errors: issuesByField(parsed.error.issues) } },
      { status: 400, summary: 'The maintenance was not scheduled.' },
    );
  try {
    await scheduleMaintenance(c.var.deps, parsed.data, actorOf(c.var.session.principal));
  } catch (error) {
    const { errors, summary } = fieldMessages(error, (path) => path.split('.')[0] ?? path);
    return statusPage(c, { maintenance: { values, errors } }, { status: 400, summary });
  }
  return done(c, '/console/status', `Scheduled "${parsed.data.name}".`);
});
