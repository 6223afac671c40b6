import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/**
 * The embedded database's own thread (see pglite-thread.ts): it owns the PGlite and answers
 * wire-protocol bytes with the bytes Postgres replies, so a long statement runs here while the
 * thread that answers requests goes on.
 */

/** Where the thread's database comes from; a seed or snapshot is moved here, not copied. */
export type PgliteThreadSource =
  | { kind: 'memory' }
  | { kind: 'directory'; path: string; seed?: ArrayBuffer }
  | { kind: 'snapshot'; snapshot: ArrayBuffer };

export type PgliteThreadData = { source: PgliteThreadSource };

export type DumpCompression = 'none' | 'gzip' | 'auto';

/** What the requesting side asks; each request carries an id its reply names. */
export type PgliteAsk =
  | { kind: 'protocol'; message: Uint8Array }
  | { kind: 'dump'; compression: DumpCompression }
  | { kind: 'close' };

export type PgliteRequest = PgliteAsk & { id: number };

export type PgliteReply =
  | { kind: 'ready' }
  | { kind: 'failed'; message: string }
  | { kind: 'answer'; id: number; data: Uint8Array }
  | { kind: 'dump'; id: number; bytes: ArrayBuffer; type: string; name: string | undefined }
  | { kind: 'closed'; id: number };

function open(source: PgliteThreadSource): Promise<PGlite> {
  switch (source.kind) {
    case 'memory':
      return PGlite.create();
    case 'directory':
      return PGlite.create(
        source.path,
        source.seed ? { loadDataDir: new Blob([source.seed]) } : {},
      );
    case 'snapshot':
      return PGlite.create({ loadDataDir: new Blob([source.snapshot]) });
  }
}

/** The bytes in a buffer of their own, so they can be moved to the other thread. */
function movable(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes as Uint8Array<ArrayBuffer>)
    : bytes.slice();
}

async function answer(pg: PGlite, request: PgliteRequest): Promise<void> {
  switch (request.kind) {
    case 'protocol': {
      const data = movable(await pg.execProtocolRaw(request.message));
      port.postMessage({ kind: 'answer', id: request.id, data } satisfies PgliteReply, [
        data.buffer,
      ]);
      return;
    }
    case 'dump': {
      const dump = await pg.dumpDataDir(request.compression);
      const bytes = await dump.arrayBuffer();
      const name = dump instanceof File ? dump.name : undefined;
      const reply: PgliteReply = { kind: 'dump', id: request.id, bytes, type: dump.type, name };
      port.postMessage(reply, [bytes]);
      return;
    }
    case 'close':
      await pg.close();
      port.postMessage({ kind: 'closed', id: request.id } satisfies PgliteReply);
      return;
  }
}

const port = parentPort ?? process.exit(1);
const { source } = workerData as PgliteThreadData;
try {
  const pg = await open(source);
  // One request at a time, in the order sent: the requesting side keeps the order it needs.
  let previous = Promise.resolve();
  port.on('message', (request: PgliteRequest) => {
    previous = previous.then(() => answer(pg, request));
    // A database that failed mid-statement is in no state to answer the next: the thread
    // ends, and the requesting side fails what was pending as a lost connection.
    previous.catch((error: unknown) => {
      console.error('the embedded database failed:', error);
      process.exit(1);
    });
  });
  port.postMessage({ kind: 'ready' } satisfies PgliteReply);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  port.postMessage({ kind: 'failed', message } satisfies PgliteReply);
  process.exit(1);
}
