import { z } from 'zod';
import type { FieldError } from '../http/app-error';
import { ProblemSchema } from '../http/problem';
import {
  addSummary,
  emptySummary,
  type IngestSummary,
  IngestSummarySchema,
  type TicketInput,
} from '../modules/tickets/ticket-input';

/** A summary from this server or an older one, which did not count `repeated`. */
export const AnySummarySchema = IngestSummarySchema.extend({
  repeated: z.number().int().default(0),
});

const RefusalSchema = ProblemSchema.pick({
  code: true,
  detail: true,
  errors: true,
  errors_omitted: true,
});

/** The server's 409 `stored_under_other_source`: its detail names the source and the share. */
export class StoredUnderOtherSourceError extends Error {}

const MAX_ATTEMPTS = 5;

/** Where to send, and whether to store tickets whose ids are stored under another source. */
export type Api = { url: string; apiKey: string; storeAnyway?: boolean };

/** `firstOfFile`: the server looks the batch up whatever its source, as a file's first rows. */
export type BatchOptions = { firstOfFile?: boolean };

export type BatchResult = {
  summary: IngestSummary;
  rejected: { index: number; errors: FieldError[] }[];
};

/**
 * Sends one batch to POST /v1/tickets. Rows the server rejects (400 naming `tickets.N`) are
 * set aside and the rest sent again; a batch over the server's body limit (413) is sent in two
 * halves, one after the other; 429, 5xx and network errors are retried with backoff.
 */
export async function postTicketBatch(
  api: Api,
  tickets: TicketInput[],
  options: BatchOptions = {},
): Promise<BatchResult> {
  const rejected = new Map<number, FieldError[]>();
  let remaining = tickets.map((ticket, index) => ({ ticket, index }));
  for (let attempt = 1; ; attempt++) {
    if (remaining.length === 0)
      return { summary: emptySummary(), rejected: listRejected(rejected) };
    const response = await send(
      api,
      remaining.map((row) => row.ticket),
      options,
    ).catch((error: Error) => error);
    if (response instanceof Response && response.ok) {
      const summary = AnySummarySchema.parse(await response.json());
      return { summary, rejected: listRejected(rejected) };
    }
    if (response instanceof Response && response.status === 413 && remaining.length > 1) {
      // Wide rows (long reasons, non-Latin text) make 5,000 tickets more than BODY_LIMIT_BYTES.
      return sendInHalves(api, remaining, rejected, options);
    }
    if (response instanceof Response && response.status === 409) {
      const problem = RefusalSchema.safeParse(await response.json().catch(() => undefined));
      if (problem.data?.code === 'stored_under_other_source') {
        throw new StoredUnderOtherSourceError(problem.data.detail);
      }
      throw new Error(`The server refused the batch: ${problem.data?.detail ?? 'HTTP 409'}`);
    }
    if (response instanceof Response && response.status === 400) {
      const problem = RefusalSchema.parse(await response.json());
      const bad = badRowsOf(problem.errors ?? [], problem.errors_omitted ?? 0);
      if (bad.size === 0) throw new Error(`The server refused the batch: ${problem.detail}`);
      for (const [position, errors] of bad) {
        const row = remaining[position];
        if (row) rejected.set(row.index, errors);
      }
      remaining = remaining.filter((_, position) => !bad.has(position));
      attempt = 0;
      continue;
    }
    if (response instanceof Response && !retryable(response.status)) {
      throw new Error(`The server answered ${response.status}: ${await response.text()}`);
    }
    if (attempt >= MAX_ATTEMPTS) {
      if (!(response instanceof Response)) throw unreachable(api.url, response);
      throw new Error(
        `Giving up on a batch after ${MAX_ATTEMPTS} attempts (HTTP ${response.status}).`,
      );
    }
    const retryAfter =
      response instanceof Response ? Number(response.headers.get('retry-after')) : 0;
    const backoff = retryAfter > 0 ? retryAfter * 1000 : 2 ** attempt * 100 * (0.5 + Math.random());
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
}

async function sendInHalves(
  api: Api,
  rows: { ticket: TicketInput; index: number }[],
  rejected: Map<number, FieldError[]>,
  options: BatchOptions,
): Promise<BatchResult> {
  const summary = emptySummary();
  const half = Math.ceil(rows.length / 2);
  for (const part of [rows.slice(0, half), rows.slice(half)]) {
    const result = await postTicketBatch(
      api,
      part.map((row) => row.ticket),
      options,
    );
    addSummary(summary, result.summary);
    for (const { index, errors } of result.rejected) {
      const row = part[index];
      if (row) rejected.set(row.index, errors);
    }
  }
  return { summary, rejected: listRejected(rejected) };
}

function send(api: Api, tickets: TicketInput[], options: BatchOptions): Promise<Response> {
  const body = {
    tickets,
    ...(api.storeAnyway && { store_anyway: true }),
    ...(options.firstOfFile && { first_of_file: true }),
  };
  return fetch(`${api.url}/v1/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** fetch says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND…) is what helps. */
function unreachable(url: string, error: Error): Error {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const why = cause?.code ?? cause?.message ?? error.message;
  return new Error(
    `Could not reach forestall at ${url} after ${MAX_ATTEMPTS} attempts (${why}). ` +
      'Is it running there? FORESTALL_URL names another address.',
  );
}

const retryable = (status: number) => status === 429 || status >= 500;

/**
 * The rows a refusal names, with their bad fields. A refusal lists the first bad fields only
 * (`errors_omitted` counts the rest, the listed ones in the order of the batch): the last row
 * listed may have more, so it stays in the batch, unless it is the only one, and comes back
 * with all of them once the rows before it are set aside.
 */
function badRowsOf(errors: FieldError[], omitted: number): Map<number, FieldError[]> {
  const rows = new Map<number, FieldError[]>();
  for (const error of errors) {
    const position = rowOf(error);
    if (position === undefined) continue;
    rows.set(position, [...(rows.get(position) ?? []), error]);
  }
  const last = errors.at(-1);
  const cutShort = last && rowOf(last);
  if (omitted > 0 && cutShort !== undefined && rows.size > 1) rows.delete(cutShort);
  return rows;
}

function rowOf(error: FieldError): number | undefined {
  const match = /^tickets\.(\d+)\./.exec(error.path);
  return match ? Number(match[1]) : undefined;
}

const listRejected = (rejected: Map<number, FieldError[]>) =>
  [...rejected].map(([index, errors]) => ({ index, errors }));
