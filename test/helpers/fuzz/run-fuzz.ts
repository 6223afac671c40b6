import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signZendeskPayload } from '../../../src/modules/zendesk/zendesk-signature';
import { startTestApp, type TestApp } from '../test-app';
import { type Operation, operationsOf, type PlannedRequest, planRequest } from './plan-request';
import { createRandom } from './random';
import type { Components, Known } from './schema-values';
import { installWriteCounter } from './write-counter';

const ZENDESK_SECRET = 'fuzz-zendesk-secret-0123456789';
const RESEND_SECRET = `whsec_${Buffer.from('fuzz-resend-secret-0123456789').toString('base64')}`;

/** At least this many requests across the fuzz files (`FUZZ_REQUESTS` raises or lowers it). */
const TOTAL_REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 20_000);

type OpenApiDoc = Parameters<typeof operationsOf>[0] & {
  components: { schemas: Components };
};

type Failure = { request: PlannedRequest; status: number; problem: string };

/**
 * Sends every operation of the OpenAPI document `TOTAL_REQUESTS / operations` generated
 * requests (`part` of `parts` of the operations, so the files run side by side): valid ones and
 * ones with one hostile change (schema-aware body mutations, raw bodies, media types, NUL and
 * unpaired surrogates, `%00`, extreme dates, prototype keys, CSV and ICS bodies). Every answer
 * must be below 500 and, from 400 on, problem+json that changed nothing in the database.
 * The seed (one per run, from the global setup) is printed; `FUZZ_SEED=<seed>` replays it.
 */
export function fuzzOperations(part: number, parts: number) {
  const SEED = inject('fuzzSeed');
  describe(`fuzzing the API from its OpenAPI document (part ${part + 1} of ${parts})`, () => {
    let t: TestApp;
    let writes: () => Promise<number>;
    let operations: Operation[] = [];
    let components: Components = {};
    const known: Known = { uuids: [], strings: [] };
    const statuses = new Map<number, number>();

    beforeAll(async () => {
      console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/app/fuzz)`);
      t = await startTestApp({
        env: { ZENDESK_WEBHOOK_SECRET: ZENDESK_SECRET, RESEND_WEBHOOK_SECRET: RESEND_SECRET },
      });
      const doc = (await (await t.request('/openapi.json')).json()) as OpenApiDoc;
      components = doc.components.schemas;
      operations = operationsOf(doc).filter((_, index) => index % parts === part);
      await seedData(t, known);
      writes = await installWriteCounter(t.deps.db);
    });
    afterAll(async () => {
      const summary = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
      console.log(`fuzz seed ${SEED}, part ${part + 1}: ${summary.join(', ')}`);
      await t?.close();
    });

    it('covers every operation of the document', () => {
      expect(operations.length).toBeGreaterThan(25);
    });

    it('answers every generated request below 500, 4xx as problem+json changing nothing', async () => {
      const perOperation = Math.ceil(TOTAL_REQUESTS / (operations.length * parts));
      const failures: Failure[] = [];
      const slowest: [string, number][] = [];
      // The count of row changes after the last answer; unknown after a 2xx (which may write).
      let before: number | undefined;
      for (const op of operations) {
        const opStarted = performance.now();
        const random = createRandom(createRandom(SEED).seedOf(`${op.method} ${op.path}`));
        for (let i = 0; i < perOperation; i++) {
          const planned = planRequest(op, random, components, known);
          before ??= await writes();
          const response = await send(t, planned);
          const text = await response.text();
          await t.settle();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const problem = await judge(response, text, before, writes, t.logs);
          if (problem) failures.push({ request: planned, status: response.status, problem });
          before = response.status >= 400 && !problem ? before : undefined;
        }
        slowest.push([`${op.method} ${op.path}`, performance.now() - opStarted]);
      }
      slowest.sort((a, b) => b[1] - a[1]);
      const top = slowest.slice(0, 5).map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`);
      console.log(`fuzz part ${part + 1}, slowest operations: ${top.join(', ')}`);
      const total = [...statuses.values()].reduce((a, b) => a + b, 0);
      console.log(`fuzz seed ${SEED}, part ${part + 1}: ${total} requests sent`);
      expect(failures.slice(0, 15).map(describeFailure), `seed ${SEED}`).toEqual([]);
      expect(total).toBeGreaterThanOrEqual(TOTAL_REQUESTS / parts);
    }, 600_000);
  });
}

async function judge(
  response: Response,
  text: string,
  before: number,
  writes: () => Promise<number>,
  logs: string[],
): Promise<string | undefined> {
  if (response.status >= 500) {
    const id = response.headers.get('x-request-id') ?? '';
    const logged = logs.find((line) => line.includes(id) && line.includes('"error"'));
    return `answered ${response.status}: ${(logged ?? text).slice(0, 400)}`;
  }
  if (response.status < 400) return undefined;
  if (response.headers.get('content-type') !== 'application/problem+json') {
    return `a ${response.status} as ${response.headers.get('content-type')}`;
  }
  const after = await writes();
  return after === before ? undefined : `a ${response.status} changed ${after - before} rows`;
}

const describeFailure = (f: Failure) =>
  `${f.problem} <- ${f.request.method} ${f.request.url.slice(0, 200)} [${f.request.mutation}] ` +
  `${f.request.headers['content-type'] ?? ''} ${bodyText(f.request.body).slice(0, 300)}`;

const bodyText = (body: PlannedRequest['body']) =>
  body === undefined ? '' : typeof body === 'string' ? body : `${body.byteLength} bytes`;

let appKey: string | undefined;

async function send(t: TestApp, planned: PlannedRequest): Promise<Response> {
  const headers = new Headers(planned.headers);
  if (planned.auth === 'admin') headers.set('authorization', `Bearer ${t.adminKey}`);
  if (planned.auth === 'app') {
    appKey ??= await t.keyFor('app', 'fuzz app');
    headers.set('authorization', `Bearer ${appKey}`);
  }
  const text = typeof planned.body === 'string' ? planned.body : '';
  if (planned.url.startsWith('/v1/integrations/zendesk/webhook')) {
    const timestamp = t.clock.now().toISOString();
    headers.set('x-zendesk-webhook-signature-timestamp', timestamp);
    headers.set(
      'x-zendesk-webhook-signature',
      await signZendeskPayload(ZENDESK_SECRET, timestamp, text),
    );
  }
  if (planned.url.startsWith('/v1/webhooks/resend')) {
    const id = headers.get('svix-id') || `msg_${crypto.randomUUID()}`;
    const now = t.clock.now();
    headers.set('svix-id', id);
    headers.set('svix-timestamp', String(Math.floor(now.getTime() / 1000)));
    headers.set('svix-signature', new Webhook(RESEND_SECRET).sign(id, now, text));
  }
  return t.app.request(planned.url, { method: planned.method, headers, body: planned.body });
}

/** A workspace with one of everything, so generated requests reach real rows. */
async function seedData(t: TestApp, known: Known): Promise<void> {
  const ok = async (path: string, init: Parameters<TestApp['request']>[1]) => {
    const response = await t.request(path, init);
    if (response.status >= 300) throw new Error(`seeding ${path}: ${await response.text()}`);
    return response.status === 204 ? {} : response.json();
  };
  await ok('/v1/accounts/acct-1', {
    method: 'PUT',
    json: {
      plan: 'pro',
      components: ['API'],
      attributes: { seats: 4 },
      contacts: [{ email: 'a@example.com' }],
    },
  });
  // Reasons exist before events and campaigns name them.
  await ok('/v1/tickets', {
    method: 'POST',
    json: {
      tickets: [
        { source: 'fuzz', external_id: '1', reason: 'billing', created_at: '2026-02-02T10:00:00Z' },
        {
          source: 'fuzz',
          external_id: '2',
          reason: 'login',
          created_at: '2026-02-09T10:00:00Z',
          account_id: 'acct-1',
        },
      ],
    },
  });
  const event = await ok('/v1/events', {
    method: 'POST',
    json: {
      kind: 'billing_run',
      title: 'Billing',
      starts_at: '2026-01-01T06:00:00Z',
      ends_at: '2026-01-01T12:00:00Z',
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=1',
    },
  });
  const campaign = await ok('/v1/campaigns', {
    method: 'POST',
    json: {
      channels: ['banner'],
      title: 'Heads up',
      body: 'Billing runs **tomorrow**.',
      audience: { type: 'all' },
      holdout_percent: 10,
      target_reasons: ['billing'],
      publish: true,
    },
  });
  const component = await ok('/v1/status/components', { method: 'POST', json: { name: 'API' } });
  const incident = await ok('/v1/status/incidents', {
    method: 'POST',
    json: { name: 'Slow API', status: 'investigating', impact: 'minor', body: 'Looking.' },
  });
  for (const made of [event, campaign, component, incident]) {
    const id = (made as { id?: string; incident?: { id: string } }).id;
    if (id) known.uuids.push(id);
  }
  known.strings.push('acct-1', 'billing', 'login', 'a@example.com');
}
