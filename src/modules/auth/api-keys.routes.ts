import { z } from '@hono/zod-openapi';
import { ROLES } from '../../db/schema';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';
import { PageQuerySchema, pageSchema } from '../../http/pagination';
import { oneLineText } from '../../http/text-input';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service';

const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(ROLES),
    prefix: z.string().openapi({
      example: 'fst_Ab3dE9xQ',
      description:
        'The first 12 characters of a generated key, safe to show and log; `ADMIN_API_KEY` for ' +
        'the key configured that way, of which nothing is shown.',
    }),
    created_at: z.iso.datetime(),
    created_by: z.uuid().nullable().openapi({ description: 'The key that created this one.' }),
    last_used_at: z.iso.datetime().nullable().openapi({ description: 'Precise to a minute.' }),
    revoked_at: z.iso.datetime().nullable(),
  })
  .openapi('ApiKey');

export const CreateApiKeySchema = z
  .object({
    name: oneLineText(100).openapi({ example: 'billing app backend' }),
    role: z.enum(ROLES),
  })
  .openapi('CreateApiKey');

const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'The secret. Shown only in this response.' }),
}).openapi('CreatedApiKey');

const IdParamSchema = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const admin = { roles: ['admin'] } as const;

const createKeyRoute = defineRoute({
  access: admin,
  method: 'post',
  path: '/v1/api-keys',
  tags: ['API keys'],
  summary: 'Create an API key (the secret is returned once)',
  request: {
    body: { required: true, content: json(CreateApiKeySchema) },
  },
  responses: {
    201: {
      description: 'Created',
      content: json(CreatedApiKeySchema),
    },
  },
});

const listKeysRoute = defineRoute({
  access: admin,
  method: 'get',
  path: '/v1/api-keys',
  tags: ['API keys'],
  summary: 'List API keys by prefix and role',
  request: {
    query: PageQuerySchema.extend({
      include_revoked: z
        .enum(['true', 'false'])
        .default('false')
        .transform((value) => value === 'true'),
    }),
  },
  responses: {
    200: {
      description: 'A page of keys, oldest first',
      content: json(pageSchema(ApiKeySchema)),
    },
  },
});

const revokeKeyRoute = defineRoute({
  access: admin,
  method: 'delete',
  path: '/v1/api-keys/{id}',
  tags: ['API keys'],
  summary: 'Revoke an API key; it stops working at once',
  request: { params: IdParamSchema },
  responses: {
    200: { description: 'Revoked', content: json(ApiKeySchema) },
    404: problemResponse('No API key has this id.'),
    409: problemResponse('It is the last active admin key.'),
  },
});

export const apiKeyRoutes = createRouter()
  .openapi(createKeyRoute, async (c) => {
    const input = c.req.valid('json');
    const { key, apiKey } = await createApiKey(c.var.deps, {
      ...input,
      createdBy: c.var.principal.keyId,
    });
    c.var.deps.logger.info('api key created', {
      prefix: apiKey.prefix,
      role: apiKey.role,
      by: c.var.principal.prefix,
    });
    return c.json({ ...apiKey, key }, 201);
  })
  .openapi(listKeysRoute, async (c) => {
    const { include_revoked, ...page } = c.req.valid('query');
    return c.json(await listApiKeys(c.var.deps, { ...page, includeRevoked: include_revoked }), 200);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const revoked = await revokeApiKey(c.var.deps, c.req.valid('param').id);
    c.var.deps.logger.info('api key revoked', {
      prefix: revoked.prefix,
      by: c.var.principal.prefix,
    });
    return c.json(revoked, 200);
  });
