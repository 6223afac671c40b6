import { ROLES } from '../db/schema';
import { AppError, notFound } from '../http/app-error';
import { PageQuerySchema } from '../http/pagination';
import { keyHint } from '../http/principal';
import { CreateApiKeySchema } from '../modules/auth/api-keys.routes';
import {
  type ApiKeyView,
  createApiKey,
  getApiKey,
  listApiKeys,
  revokeApiKey,
} from '../modules/auth/api-keys.service';
import { Card, Instant, Message, PageHeader, Pager, Pill, Table } from '../view-kit/components';
import { PostForm, SelectField, TextField } from '../view-kit/fields';
import { emptyForm, type FormState } from '../view-kit/form-state';
import {
  type ConsoleContext,
  createConsoleRouter,
  isUuid,
  render,
  signedIn,
} from './console-router';
import { type FormProblem, formPost, withSchema } from './form-post';
import { PAGE_ROLES } from './layout';

export const apiKeyRoutes = createConsoleRouter();
const admin = signedIn(PAGE_ROLES.apiKeys);
const PAGE_SIZE = 50;

const ROLE_HINTS: Record<(typeof ROLES)[number], string> = {
  admin: 'admin: everything, keys included',
  ops: 'ops: publish campaigns, incidents, accounts',
  app: 'app: read notices, mint account tokens (product backends)',
  analyst: 'analyst: reports and impact',
};

const KeyTable = (props: { keys: ApiKeyView[]; csrf: string; selfId: string }) => (
  <Table
    rows={props.keys}
    empty="No key."
    columns={[
      { header: 'Name', cell: (k) => k.name },
      { header: 'Prefix', cell: (k) => <code>{keyHint(k.prefix)}</code> },
      { header: 'Role', cell: (k) => <Pill>{k.role}</Pill> },
      { header: 'Created', cell: (k) => <Instant at={k.created_at} /> },
      { header: 'Last used', cell: (k) => <Instant at={k.last_used_at} /> },
      {
        header: '',
        cell: (k) =>
          k.revoked_at ? (
            <>
              Revoked <Instant at={k.revoked_at} />
            </>
          ) : (
            <PostForm action={`/console/api-keys/${k.id}/revoke`} csrf={props.csrf} class="inline">
              <button type="submit" class="danger" aria-label={`Revoke ${k.name}`}>
                {k.id === props.selfId ? 'Revoke (signs you out)' : 'Revoke'}
              </button>
            </PostForm>
          ),
      },
    ]}
  />
);

type Extra = { created?: { key: string; apiKey: ApiKeyView }; sentBefore?: ApiKeyView };

/** Where a repeat of the submit that created `apiKey` leads: the page naming it, no secret. */
const sentBeforePath = (apiKey: ApiKeyView) => `/console/api-keys?sent_before=${apiKey.id}`;

/** The key a repeated create form made, as `sentBeforePath` names it. */
async function keySentBefore(c: ConsoleContext): Promise<ApiKeyView | undefined> {
  const id = c.req.query('sent_before');
  return id && isUuid(id) ? getApiKey(c.var.deps, id) : undefined;
}

const SentBefore = ({ apiKey }: { apiKey: ApiKeyView }) => (
  <Card id="sent-before" title="This form was sent before">
    <Message flash={{ ok: false, text: 'It created a key then; no other key was created now.' }} />
    <p>
      It created the {apiKey.role} key "{apiKey.name}" (<code>{keyHint(apiKey.prefix)}</code>)
      {apiKey.revoked_at ? ', revoked since' : ''}. Its secret was shown only once, on the page that
      answered it, and is not stored. If it was lost, revoke it and create another.
    </p>
  </Card>
);

async function keysPage(
  c: ConsoleContext,
  form: FormState = emptyForm({ role: 'app' }),
  problem?: FormProblem,
  extra: Extra = {},
) {
  const { deps, session } = c.var;
  const showRevoked = c.req.query('revoked') === '1';
  const cursorQuery = PageQuerySchema.shape.cursor.safeParse(c.req.query('cursor') || undefined);
  const cursor = cursorQuery.success ? cursorQuery.data : undefined;
  const page = await listApiKeys(deps, {
    limit: PAGE_SIZE,
    cursor,
    includeRevoked: showRevoked,
  });
  const base = `/console/api-keys${showRevoked ? '?revoked=1&' : '?'}`;
  const flash = problem
    ? { ok: false, text: problem.summary }
    : cursorQuery.success
      ? undefined
      : { ok: false, text: 'That page link is not one this console made; here is the first page.' };
  return render(
    c,
    'API keys',
    <>
      <PageHeader
        title="API keys"
        meta="Keys are shown once, when created; only their hash is stored."
      />
      {extra.sentBefore ? <SentBefore apiKey={extra.sentBefore} /> : ''}
      {extra.created ? (
        <Card
          id="new-key"
          title={`New ${extra.created.apiKey.role} key "${extra.created.apiKey.name}"`}
        >
          <Message
            flash={{ ok: true, text: 'Copy it now: it is not stored and will not be shown again.' }}
          />
          <p>
            <code id="new-key-secret">{extra.created.key}</code>
          </p>
        </Card>
      ) : (
        ''
      )}
      <Card id="create" title="Create a key">
        <PostForm action="/console/api-keys" csrf={session.csrfToken} class="narrow" once={form}>
          <TextField state={form} name="name" label="Name" hint="who or what uses it" required />
          <SelectField
            state={form}
            name="role"
            label="Role"
            options={ROLES.map((r) => [r, ROLE_HINTS[r]] as const)}
          />
          <button type="submit">Create key</button>
        </PostForm>
      </Card>
      <Card id="keys" title={showRevoked ? 'All keys, oldest first' : 'Active keys, oldest first'}>
        <p>
          {showRevoked ? (
            <a href="/console/api-keys">Hide revoked keys</a>
          ) : (
            <a href="/console/api-keys?revoked=1">Show revoked keys too</a>
          )}
        </p>
        <KeyTable keys={page.data} csrf={session.csrfToken} selfId={session.principal.keyId} />
        <Pager
          first={cursor ? base.slice(0, -1) : undefined}
          next={page.next_cursor ? `${base}cursor=${page.next_cursor}` : undefined}
        />
      </Card>
    </>,
    { status: problem?.status ?? (cursorQuery.success ? 200 : 400), flash },
  );
}

apiKeyRoutes.get('/console/api-keys', admin, async (c) =>
  keysPage(c, undefined, undefined, { sentBefore: await keySentBefore(c) }),
);

apiKeyRoutes.post(
  '/console/api-keys',
  admin,
  formPost(
    withSchema(CreateApiKeySchema, (values) => ({ name: values.name, role: values.role })),
    {
      page: (c, state, problem) => keysPage(c, state, problem),
      invalid: 'Fix the fields marked below; no key was created.',
      once: true,
      save: async (c, input) => {
        const { principal } = c.var.session;
        const created = await createApiKey(c.var.deps, { ...input, createdBy: principal.keyId });
        c.var.deps.logger.info('api key created', {
          prefix: created.apiKey.prefix,
          role: created.apiKey.role,
          by: principal.prefix,
        });
        // The secret goes in this response only: a redirect would have to carry it. A repeat
        // of the submit is led to the key instead (kept, this answer never is).
        c.header('Cache-Control', 'no-store');
        return {
          shownOnce: await keysPage(c, emptyForm({ role: input.role }), undefined, { created }),
          // Not c.redirect: it would set Location on the page shown now too.
          repeat: new Response(null, {
            status: 303,
            headers: { location: sentBeforePath(created.apiKey) },
          }),
        };
      },
    },
  ),
);

apiKeyRoutes.post('/console/api-keys/:id/revoke', admin, (c) => {
  const id = c.req.param('id') ?? '';
  return formPost(() => ({ data: id }), {
    page: (c, _state, problem) => keysPage(c, undefined, problem),
    invalid: 'Nothing was revoked.',
    save: async (c, keyId) => {
      // A mistyped id is no key (the database would refuse it as a uuid).
      if (!isUuid(keyId)) throw notFound(`API key ${keyId}`);
      let revoked: ApiKeyView;
      try {
        revoked = await revokeApiKey(c.var.deps, keyId);
      } catch (error) {
        // The last admin key: said on the page, nothing changed. A key that is gone is the
        // console's not-found page.
        if (error instanceof AppError && error.code === 'last_admin_key') {
          throw new AppError('conflict', error.detail);
        }
        throw error;
      }
      c.var.deps.logger.info('api key revoked', {
        prefix: revoked.prefix,
        by: c.var.session.principal.prefix,
      });
      return {
        to: '/console/api-keys',
        message: `Revoked "${revoked.name}" (${keyHint(revoked.prefix)}).`,
      };
    },
  })(c);
});
