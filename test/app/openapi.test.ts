import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

type Operation = {
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};

describe('OpenAPI document and reference', () => {
  let t: TestApp;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    t = await startTestApp();
    const response = await t.request('/openapi.json', { key: null });
    expect(response.status).toBe(200);
    document = await readJson(response);
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({ path, method, operation })),
    );

  it('lists every route the app serves', () => {
    const listed = operations().map(({ method, path }) => `${method} ${path}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        'get /health',
        'get /ready',
        'get /v1/api-keys',
        'post /v1/api-keys',
        'delete /v1/api-keys/{id}',
        'get /v1/job-runs',
      ]),
    );
  });

  it('gives every operation its problem+json error responses', () => {
    for (const { path, method, operation } of operations()) {
      const codes = Object.keys(operation.responses);
      const where = `${method} ${path}`;
      expect(codes, where).toContain('500');
      if (operation.security) expect(codes, where).toEqual(expect.arrayContaining(['401', '403']));
      // If-None-Match is never refused (one that cannot be read is ignored).
      const refusable = (operation.parameters ?? []).filter(
        (p) => (p as { name?: string }).name !== 'if-none-match',
      );
      if (refusable.length || operation.requestBody) expect(codes, where).toContain('400');
      if (operation.requestBody) {
        expect(codes, where).toContain('413');
        const schemas = Object.values(operation.requestBody.content).map((c) => c.schema);
        expect(schemas.length, where).toBeGreaterThan(0);
        for (const schema of schemas) expect(schema, where).toBeDefined();
      }
      for (const [code, response] of Object.entries(operation.responses)) {
        if (Number(code) >= 400) {
          expect(response.content?.['application/problem+json'], `${where} ${code}`).toBeDefined();
        }
      }
    }
  });

  it('documents that a problem lists at most 100 bad fields and counts the ones left out', () => {
    type Property = { type?: string; maxItems?: number; description?: string };
    const { Problem } = (
      document as unknown as {
        components: { schemas: Record<string, { properties: Record<string, Property> }> };
      }
    ).components.schemas;
    expect(Problem?.properties.errors).toMatchObject({ type: 'array', maxItems: 100 });
    expect(Problem?.properties.errors_omitted).toMatchObject({
      type: 'integer',
      description: expect.stringContaining('first 100'),
    });
  });

  it('documents If-Match and its 412 on the writes of one event, campaign, incident or maintenance, and the ETag they answer with', () => {
    const operation = (method: string, path: string) => {
      const found = document.paths[path]?.[method];
      expect(found, `${method} ${path}`).toBeDefined();
      return found as Omit<Operation, 'parameters' | 'responses'> & {
        parameters?: { in: string; name: string }[];
        responses: Record<
          string,
          { content?: Record<string, unknown>; headers?: Record<string, unknown> }
        >;
      };
    };
    const conditional = [
      ['put', '/v1/events/{id}', '200'],
      ['delete', '/v1/events/{id}', '204'],
      ['patch', '/v1/campaigns/{id}', '200'],
      ['post', '/v1/status/incidents/{id}/updates', '200'],
      ['post', '/v1/status/maintenances/{id}/updates', '200'],
    ] as const;
    for (const [method, path, ok] of conditional) {
      const op = operation(method, path);
      const where = `${method} ${path}`;
      const headers = (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
      expect(headers, where).toContain('if-match');
      if (method !== 'delete') expect(headers, where).toContain('idempotency-key');
      expect(op.responses['412']?.content?.['application/problem+json'], where).toBeDefined();
      if (ok === '200') expect(op.responses[ok]?.headers, where).toHaveProperty('ETag');
    }
    for (const [method, path, ok] of [
      ['get', '/v1/events/{id}', '200'],
      ['post', '/v1/events', '201'],
      ['get', '/v1/campaigns/{id}', '200'],
      ['post', '/v1/campaigns', '201'],
      ['get', '/v1/status/incidents/{id}', '200'],
      ['post', '/v1/status/incidents', '201'],
      ['get', '/v1/status/maintenances/{id}', '200'],
      ['post', '/v1/status/maintenances', '201'],
    ] as const) {
      expect(operation(method, path).responses[ok]?.headers, `${method} ${path}`).toHaveProperty(
        'ETag',
      );
    }
    for (const path of ['/v1/events/{id}', '/v1/campaigns/{id}']) {
      const notModified = operation('get', path).responses['304'];
      expect(notModified, `get ${path}`).toBeDefined();
      expect(notModified?.content, `get ${path}`).toBeUndefined();
      expect(notModified?.headers, `get ${path}`).toHaveProperty('ETag');
    }
  });

  it('declares If-None-Match on every GET that honours it, with its 304 and the ETag of its 200', () => {
    type Revalidated = {
      parameters?: { in: string; name: string; required?: boolean }[];
      responses: Record<string, { content?: unknown; headers?: Record<string, unknown> }>;
    };
    const honouring = operations()
      .filter(({ operation }) =>
        (operation as Revalidated).parameters?.some(
          (p) => p.in === 'header' && p.name === 'if-none-match',
        ),
      )
      .map(({ method, path }) => `${method} ${path}`);
    expect(honouring.sort()).toEqual(
      [
        'get /v1/events/{id}',
        'get /v1/campaigns/{id}',
        'get /v1/accounts/{id}/notices',
        'get /status/uptime.json',
        ...[
          'summary',
          'status',
          'components',
          'incidents',
          'incidents/unresolved',
          'scheduled-maintenances',
          'scheduled-maintenances/upcoming',
          'scheduled-maintenances/active',
        ].map((name) => `get /api/v2/${name}.json`),
      ].sort(),
    );
    for (const { path, method, operation } of operations()) {
      const where = `${method} ${path}`;
      const { parameters, responses } = operation as Revalidated;
      const header = parameters?.find((p) => p.in === 'header' && p.name === 'if-none-match');
      // A 304 is only ever the answer to If-None-Match: one without the header is undeclared.
      expect(Boolean(header), where).toBe('304' in responses);
      if (!header) continue;
      expect(header.required ?? false, where).toBe(false);
      expect(responses['304']?.content, where).toBeUndefined();
      expect(responses['304']?.headers, where).toHaveProperty('ETag');
      expect(responses['200']?.headers, where).toHaveProperty('ETag');
    }
  });

  it('closes every object of every JSON request body, but the webhooks that take another system’s payload', () => {
    const components = (document as unknown as { components: { schemas: Record<string, Node> } })
      .components.schemas;
    type Node = { [key: string]: unknown };
    const open: string[] = [];
    const walk = (node: unknown, where: string, seen: Set<string>) => {
      if (!node || typeof node !== 'object') return;
      const schema = node as Node;
      if (typeof schema.$ref === 'string') {
        const name = schema.$ref.replace('#/components/schemas/', '');
        if (!seen.has(name)) walk(components[name], `${where}→${name}`, new Set([...seen, name]));
        return;
      }
      // A record (additionalProperties a schema, no properties) is a map of free keys.
      const isObject = schema.type === 'object' || 'properties' in schema;
      if (isObject && schema.properties && schema.additionalProperties !== false) open.push(where);
      // Arrays too (anyOf, allOf): their entries are their indexes.
      for (const [key, value] of Object.entries(schema)) walk(value, `${where}/${key}`, seen);
    };
    for (const { path, method, operation } of operations()) {
      const schema = operation.requestBody?.content['application/json']?.schema;
      if (schema) walk(schema, `${method} ${path} `, new Set());
    }
    expect(open.length).toBeGreaterThan(0);
    expect([...new Set(open.map((where) => where.split(' ').slice(0, 2).join(' ')))]).toEqual([
      'post /v1/integrations/zendesk/webhook',
      'post /v1/webhooks/resend',
    ]);
  });

  it('writes each pattern as JSON Schema reads it, so the values the API takes match it', () => {
    const patterns = new Map<string, string>();
    const walk = (node: unknown, path: string) => {
      // Arrays too: their entries are their indexes.
      if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'pattern' && typeof value === 'string') patterns.set(path, value);
          else walk(value, `${path}.${key}`);
        }
      }
    };
    walk(document, '');
    type Schema = { properties: Record<string, { pattern?: string }> };
    // Request bodies use the closed copies of the named schemas (`<name>Request`).
    const named = (document as unknown as { components: { schemas: Record<string, Schema> } })
      .components.schemas;
    const schemas = {
      CampaignCreate: named.CampaignCreateRequest,
      TicketInput: named.TicketInputRequest,
      IncidentOpen: named.IncidentOpenRequest,
    };
    const matches = (pattern: string | undefined, value: string) =>
      new RegExp(pattern ?? '(?!)', 'u').test(value);

    expect([...patterns].filter(([, pattern]) => /\/[dgimsuvy]+$/.test(pattern))).toEqual([]);
    expect(
      matches(schemas.CampaignCreate?.properties.title?.pattern, 'Maintenance on Sunday'),
    ).toBe(true);
    expect(matches(schemas.CampaignCreate?.properties.title?.pattern, 'Two\nlines')).toBe(false);
    expect(matches(schemas.TicketInput?.properties.reason?.pattern, 'Billing')).toBe(true);
    expect(matches(schemas.IncidentOpen?.properties.name?.pattern, 'Login errors')).toBe(true);
    // Read without Unicode mode too, as Python's re and plain ECMAScript read patterns.
    const title = new RegExp(schemas.CampaignCreate?.properties.title?.pattern ?? '(?!)');
    expect([title.test('Maintenance on Sunday'), title.test('Two\nlines')]).toEqual([true, false]);
  });

  it('serves an interactive reference at /docs over the same document', async () => {
    const response = await t.request('/docs', { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const page = await response.text();
    // Offline: every script and style the page loads is served by forestall itself.
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets).toEqual([
      '/docs/assets/swagger-ui.css',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/start.js',
    ]);
    for (const asset of assets.slice(0, 2)) {
      const file = await t.request(asset, { key: null });
      expect(file.status, asset).toBe(200);
      expect((await file.arrayBuffer()).byteLength, asset).toBeGreaterThan(10_000);
    }
    const start = await t.request('/docs/start.js', { key: null });
    expect(start.headers.get('content-type')).toContain('text/javascript');
    expect(await start.text()).toContain("SwaggerUIBundle({ url: '/openapi.json'");
    expect((await t.request('/docs/assets/package.json', { key: null })).status).toBe(404);
  });

  it('serves /docs under a policy with no inline script, no framing, no base and no plugins', async () => {
    const response = await t.request('/docs', { key: null });
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy.split('; ')).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ]),
    );
    // Every script is a file: the one that starts Swagger UI is served beside the page.
    expect((await response.text()).match(/<script[^>]*>/g)).toEqual([
      '<script src="/docs/assets/swagger-ui-bundle.js">',
      '<script src="/docs/start.js">',
    ]);
  });

  it('on Workers, loads the installed swagger-ui-dist from the CDN, each file under its hash', async () => {
    const folder = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    const installed = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).version;
    const cdn = `https://unpkg.com/swagger-ui-dist@${installed}`;
    const sha384 = (name: string) =>
      `sha384-${createHash('sha384')
        .update(readFileSync(join(folder, name)))
        .digest('base64')}`;

    const response = await createApp(t.deps).request('/docs');
    const tags = (await response.text()).match(/<(?:script|link)[^>]*>/g);
    // A stale build names another version or other hashes: `npm run build` writes them.
    expect(tags, 'the version and hashes of node_modules/swagger-ui-dist').toEqual([
      `<link rel="stylesheet" href="${cdn}/swagger-ui.css" integrity="${sha384('swagger-ui.css')}" crossorigin="anonymous" />`,
      `<script src="${cdn}/swagger-ui-bundle.js" integrity="${sha384('swagger-ui-bundle.js')}" crossorigin="anonymous">`,
      '<script src="/docs/start.js">',
    ]);
    // The policy names the two files, not the package's folder of other scripts.
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain(`script-src 'self' ${cdn}/swagger-ui-bundle.js;`);
    expect(policy).toContain(`style-src 'self' ${cdn}/swagger-ui.css;`);
    const onNode = await t.request('/docs', { key: null });
    expect(onNode.headers.get('content-security-policy')).not.toContain('unpkg');
  });

  it('leads a visitor of / to the console', async () => {
    const response = await t.request('/', { key: null });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/console');
  });
});
