import { z } from '@hono/zod-openapi';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { wholeNumberInput } from '../../http/number-input';
import { keyCursorSchema, pageSchema } from '../../http/pagination';
import {
  AccountBatchSchema,
  AccountIdSchema,
  AccountInputSchema,
  AccountSchema,
} from './account-input';
import {
  deleteAccount,
  getAccount,
  listAccounts,
  putAccount,
  upsertAccounts,
} from './accounts.service';

const ops = { roles: ['ops'] } as const;
const tags = ['Accounts'];
const IdParams = z.object({ id: AccountIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });

const putRoute = defineRoute({
  access: ops,
  method: 'put',
  path: '/v1/accounts/{id}',
  tags,
  summary: 'Create or replace an account (its contacts are replaced too)',
  request: { params: IdParams, body: { required: true, content: json(AccountInputSchema) } },
  responses: {
    200: { description: 'The account as replaced', content: json(AccountSchema) },
    201: { description: 'The account as created', content: json(AccountSchema) },
  },
});

const batchRoute = defineRoute({
  access: ops,
  method: 'post',
  path: '/v1/accounts/batch',
  tags,
  summary: 'Create or replace up to 5,000 accounts, all or nothing',
  description:
    'Copies of one account (by id) in a batch are taken in order, as with tickets, as if sent ' +
    'one after another: the last is stored, and each copy after the first counts as an update ' +
    'of the one before it, so `received` = `created` + `updated`.',
  request: { body: { required: true, content: json(AccountBatchSchema) } },
  responses: {
    200: {
      description: 'How many accounts were created and replaced',
      content: json(
        z
          .object({
            received: z.number().int(),
            created: z.number().int(),
            updated: z.number().int(),
            repeated: z
              .number()
              .int()
              .openapi({
                description:
                  'Of the updated, entries that repeated an account (by id) sent before them in ' +
                  'the same batch; the last copy is stored.',
              }),
          })
          .openapi('AccountBatchSummary'),
      ),
    },
  },
});

const getRoute = defineRoute({
  access: ops,
  method: 'get',
  path: '/v1/accounts/{id}',
  tags,
  summary: 'One account with its contacts',
  request: { params: IdParams },
  responses: {
    200: { description: 'The account', content: json(AccountSchema) },
    404: problemResponse('No such account.'),
  },
});

const listRoute = defineRoute({
  access: ops,
  method: 'get',
  path: '/v1/accounts',
  tags,
  summary: 'List accounts by id',
  request: {
    query: z.object({
      limit: wholeNumberInput(1, 200).default(50),
      cursor: keyCursorSchema.optional(),
    }),
  },
  responses: {
    200: { description: 'A page of accounts', content: json(pageSchema(AccountSchema)) },
  },
});

const deleteRoute = defineRoute({
  access: ops,
  method: 'delete',
  path: '/v1/accounts/{id}',
  tags,
  summary: 'Delete an account, its contacts and dismissals; its tokens stop working',
  request: { params: IdParams },
  responses: { 204: { description: 'Deleted' }, 404: problemResponse('No such account.') },
});

export const accountRoutes = createRouter()
  .openapi(batchRoute, async (c) =>
    c.json(await upsertAccounts(c.var.deps, c.req.valid('json').accounts), 200),
  )
  .openapi(listRoute, async (c) =>
    c.json(await listAccounts(c.var.deps, c.req.valid('query')), 200),
  )
  .openapi(putRoute, async (c) => {
    const account = { ...c.req.valid('json'), id: c.req.valid('param').id };
    const { account: stored, created } = await putAccount(c.var.deps, account);
    return created ? c.json(stored, 201) : c.json(stored, 200);
  })
  .openapi(getRoute, async (c) =>
    c.json(await getAccount(c.var.deps, c.req.valid('param').id), 200),
  )
  .openapi(deleteRoute, async (c) => {
    await deleteAccount(c.var.deps, c.req.valid('param').id);
    return c.body(null, 204);
  });
