import { COMPONENT_STATUSES, type StatusComponentRow } from '../db/schema';
import { notFound } from '../http/app-error';
import { actorOf } from '../http/principal';
import { listComponentRows, updateComponent } from '../modules/status/components.service';
import { STATUS_LABEL } from '../modules/status/public/status-page';
import { ComponentPatchSchema } from '../modules/status/status-schemas';
import { Card } from '../view-kit/components';
import { PostForm, SelectField, TextArea, TextField } from '../view-kit/fields';
import type { FormState } from '../view-kit/form-state';
import { type ConsoleContext, createConsoleRouter, signedIn } from './console-router';
import { type FormProblem, formPost, withSchema } from './form-post';
import { PAGE_ROLES } from './layout';
import { foundForStatus, statusSubpage } from './status-fields';

export const statusComponentRoutes = createConsoleRouter();
const ops = signedIn(PAGE_ROLES.status);

async function componentById(c: ConsoleContext, id: string) {
  const row = (await listComponentRows(c.var.deps.db)).find((r) => r.id === id);
  if (!row) throw notFound(`Component ${id}`);
  return row;
}

const formOf = (row: StatusComponentRow): FormState => ({
  values: { name: row.name, description: row.description ?? '', status: row.status },
  errors: {},
});

async function componentPage(c: ConsoleContext, state?: FormState, problem?: FormProblem) {
  const id = c.req.param('id') ?? '';
  const lookup = await foundForStatus(c, () => componentById(c, id));
  if ('page' in lookup) return lookup.page;
  const row = lookup.found;
  const form = state ?? formOf(row);
  return statusSubpage(
    c,
    `Edit ${row.name}`,
    <Card id="component" title={row.isGroup ? 'Group' : 'Component'}>
      <PostForm
        action={`/console/status/components/${row.id}`}
        csrf={c.var.session.csrfToken}
        class="narrow"
      >
        <TextField state={form} name="name" label="Name" required />
        <TextArea state={form} name="description" label="Description" hint="optional" />
        {row.isGroup ? (
          ''
        ) : (
          <SelectField
            state={form}
            name="status"
            label="Status"
            hint="set by hand, outside any incident"
            options={COMPONENT_STATUSES.map((s) => [s, STATUS_LABEL[s]] as const)}
          />
        )}
        <button type="submit">Save</button>
      </PostForm>
    </Card>,
    problem,
  );
}

statusComponentRoutes.get('/console/status/components/:id', ops, (c) => componentPage(c));

const componentPatch = withSchema(ComponentPatchSchema, (values) => ({
  name: values.name,
  description: values.description || null,
  ...(values.status ? { status: values.status } : {}),
}));

statusComponentRoutes.post(
  '/console/status/components/:id',
  ops,
  formPost(componentPatch, {
    page: (c, state, problem) => componentPage(c, state, problem),
    invalid: 'Fix the fields marked below; nothing was saved.',
    save: async (c, patch) => {
      const id = c.req.param('id') ?? '';
      await componentById(c, id);
      const saved = await updateComponent(c.var.deps, id, patch, actorOf(c.var.session.principal));
      return { to: '/console/status', message: `Saved ${saved.name}.` };
    },
  }),
);
