import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Resend API on loopback that enforces the parts of Resend's contract forestall relies on:
 * bearer auth, `POST /emails` and `POST /emails/batch` (1–100 emails, no attachments, each
 * with from, to, a one-line subject and html or text), `Idempotency-Key` (1–256 characters, kept: the
 * same key and body answer the first response again, another body 409
 * `invalid_idempotent_request`, a request still in progress 409
 * `concurrent_idempotent_requests`), and a per-second rate limit answered with 429 and
 * `retry-after`. Faults can be injected: 500s before processing, 500s after accepting (the
 * emails went out but the caller cannot know), hung requests, and random 429/500 storms.
 * Every accepted email is logged.
 */

export type AcceptedEmail = {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  tags: { name: string; value: string }[];
  idempotencyKey: string | null;
};

export type FakeResendOptions = { apiKey?: string; requestsPerSecond?: number };

type StoredAnswer = { bodyHash: string; status: number; body: unknown } | 'in_progress';

const ADDRESS = /^([^<>]+<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;
const TAG = /^[A-Za-z0-9_-]{1,256}$/;

export async function startFakeResend(options: FakeResendOptions = {}) {
  const apiKey = options.apiKey ?? 're_test_key';
  const accepted: AcceptedEmail[] = [];
  const idempotency = new Map<string, StoredAnswer>();
  const requestTimes: number[] = [];
  const stats = { requests: 0, rateLimited: 0, failed: 0, hung: 0, replayed: 0 };
  const faults = {
    requestsPerSecond: options.requestsPerSecond ?? 2,
    /** The next n requests answer 500 before doing anything. */
    failNext: 0,
    /** The next n requests answer 422 validation_error. */
    rejectNext: 0,
    /** The next n requests are accepted and logged, then answer 500. */
    acceptThenFailNext: 0,
    /** The next n requests never answer (the caller must time out). */
    hangNext: 0,
    /** Chance per request of a 500 before processing / of a spurious 429. */
    errorRate: 0,
    rateLimitRate: 0,
    /** Milliseconds each request takes before it is answered. */
    latencyMs: 0,
  };
  const hung = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = () => handle(request, response, body);
      if (faults.latencyMs > 0) setTimeout(answer, faults.latencyMs);
      else answer();
    });
  });

  function send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    response
      .writeHead(status, { 'content-type': 'application/json', ...headers })
      .end(JSON.stringify(body));
  }

  const error = (statusCode: number, name: string, message: string) => ({
    statusCode,
    name,
    message,
  });

  function handle(request: IncomingMessage, response: ServerResponse, raw: string) {
    stats.requests++;
    const path = request.url ?? '';
    if (request.method !== 'POST' || (path !== '/emails' && path !== '/emails/batch')) {
      return send(response, 404, error(404, 'not_found', 'The requested endpoint does not exist.'));
    }
    const auth = request.headers.authorization;
    if (!auth)
      return send(
        response,
        401,
        error(401, 'missing_api_key', 'Missing API key in the authorization header.'),
      );
    if (auth !== `Bearer ${apiKey}`)
      return send(response, 403, error(403, 'invalid_api_key', 'API key is invalid.'));

    if (faults.hangNext > 0) {
      faults.hangNext--;
      stats.hung++;
      hung.add(response);
      return;
    }
    if (faults.failNext > 0 || Math.random() < faults.errorRate) {
      if (faults.failNext > 0) faults.failNext--;
      stats.failed++;
      return send(
        response,
        500,
        error(500, 'internal_server_error', 'An unexpected error occurred.'),
      );
    }
    const now = Date.now();
    while (requestTimes.length > 0 && (requestTimes[0] ?? 0) <= now - 1000) requestTimes.shift();
    if (requestTimes.length >= faults.requestsPerSecond || Math.random() < faults.rateLimitRate) {
      stats.rateLimited++;
      return send(
        response,
        429,
        error(
          429,
          'rate_limit_exceeded',
          'Too many requests. You can only make 2 requests per second.',
        ),
        {
          'retry-after': '1',
          'ratelimit-limit': String(faults.requestsPerSecond),
          'ratelimit-remaining': '0',
          'ratelimit-reset': '1',
        },
      );
    }
    requestTimes.push(now);

    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      return send(response, 400, error(400, 'invalid_json', 'The request body is not valid JSON.'));
    }
    const key = request.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' ? key : null;
    if (idempotencyKey !== null && (idempotencyKey.length < 1 || idempotencyKey.length > 256)) {
      return send(
        response,
        400,
        error(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.'),
      );
    }
    const bodyHash = createHash('sha256').update(raw).digest('hex');
    const scopedKey = idempotencyKey ? `${path}:${idempotencyKey}` : null;
    if (scopedKey) {
      const earlier = idempotency.get(scopedKey);
      if (earlier === 'in_progress') {
        return send(
          response,
          409,
          error(
            409,
            'concurrent_idempotent_requests',
            'Same idempotency key used while original request is still in progress.',
          ),
        );
      }
      if (earlier && earlier.bodyHash !== bodyHash) {
        return send(
          response,
          409,
          error(
            409,
            'invalid_idempotent_request',
            'Same idempotency key used with a different request payload.',
          ),
        );
      }
      if (earlier) {
        stats.replayed++;
        return send(response, earlier.status, earlier.body);
      }
    }

    if (faults.rejectNext > 0) {
      faults.rejectNext--;
      return send(
        response,
        422,
        error(
          422,
          'validation_error',
          'The `to` field contains an address that cannot receive email.',
        ),
      );
    }
    const emails = path === '/emails/batch' ? payload : [payload];
    const problem = validate(emails, path === '/emails/batch');
    if (problem) return send(response, 422, error(422, problem.name, problem.message));

    if (scopedKey) idempotency.set(scopedKey, 'in_progress');
    const ids = (emails as Record<string, unknown>[]).map((email) => {
      const id = randomUUID();
      const to = email.to;
      accepted.push({
        id,
        from: email.from as string,
        to: Array.isArray(to) ? (to as string[]) : [to as string],
        subject: email.subject as string,
        html: email.html as string | undefined,
        text: email.text as string | undefined,
        headers: (email.headers as Record<string, string>) ?? {},
        tags: (email.tags as { name: string; value: string }[]) ?? [],
        idempotencyKey,
      });
      return { id };
    });
    const answer = path === '/emails/batch' ? { data: ids } : ids[0];
    if (scopedKey) idempotency.set(scopedKey, { bodyHash, status: 200, body: answer });
    if (faults.acceptThenFailNext > 0) {
      faults.acceptThenFailNext--;
      stats.failed++;
      return send(
        response,
        500,
        error(500, 'internal_server_error', 'An unexpected error occurred.'),
      );
    }
    send(response, 200, answer);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    accepted,
    faults,
    stats,
    /**
     * How many accepted emails went to each mailbox, by its address lower-cased: providers
     * deliver `Ann@Example.com` and `ann@example.com` to one inbox, so two emails to it count
     * as two however each was spelt.
     */
    countsByRecipient() {
      const counts = new Map<string, number>();
      for (const email of accepted) {
        for (const to of email.to) {
          const mailbox = to.toLowerCase();
          counts.set(mailbox, (counts.get(mailbox) ?? 0) + 1);
        }
      }
      return counts;
    },
    close: () => {
      for (const response of hung) response.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type FakeResend = Awaited<ReturnType<typeof startFakeResend>>;

function validate(emails: unknown, batch: boolean): { name: string; message: string } | null {
  if (!Array.isArray(emails))
    return { name: 'validation_error', message: 'The request body must be an array of emails.' };
  if (batch && emails.length === 0)
    return { name: 'validation_error', message: 'The batch must contain at least 1 email.' };
  if (batch && emails.length > 100)
    return { name: 'validation_error', message: 'The batch must contain at most 100 emails.' };
  for (const [index, email] of emails.entries()) {
    const at = batch ? ` (emails[${index}])` : '';
    if (!email || typeof email !== 'object')
      return { name: 'validation_error', message: `Each email must be an object${at}.` };
    const e = email as Record<string, unknown>;
    if (batch && 'attachments' in e)
      return {
        name: 'validation_error',
        message: `Attachments are not supported in batch emails${at}.`,
      };
    if (typeof e.from !== 'string' || !ADDRESS.test(e.from))
      return { name: 'validation_error', message: `Invalid \`from\` field${at}.` };
    const to = Array.isArray(e.to) ? e.to : [e.to];
    if (
      to.length < 1 ||
      to.length > 50 ||
      !to.every((a) => typeof a === 'string' && ADDRESS.test(a))
    ) {
      return { name: 'validation_error', message: `Invalid \`to\` field${at}.` };
    }
    if (typeof e.subject !== 'string' || e.subject === '')
      return { name: 'missing_required_field', message: `Missing \`subject\` field${at}.` };
    // Resend refuses a subject that would break its header, and with it the whole batch.
    if (/[\r\n]/.test(e.subject))
      return {
        name: 'validation_error',
        message: `The \`subject\` field must not contain line breaks${at}.`,
      };
    if (typeof e.html !== 'string' && typeof e.text !== 'string')
      return {
        name: 'missing_required_field',
        message: `Missing \`html\` or \`text\` field${at}.`,
      };
    if (
      e.headers !== undefined &&
      (typeof e.headers !== 'object' ||
        !Object.values(e.headers as object).every((v) => typeof v === 'string'))
    ) {
      return { name: 'validation_error', message: `Invalid \`headers\` field${at}.` };
    }
    if (
      e.tags !== undefined &&
      (!Array.isArray(e.tags) || !e.tags.every((t) => t && TAG.test(t.name) && TAG.test(t.value)))
    ) {
      return {
        name: 'validation_error',
        message: `Tags may only contain ASCII letters, numbers, underscores, or dashes${at}.`,
      };
    }
  }
  return null;
}
