import type { Worker } from 'node:worker_threads';
import {
  type ExecProtocolOptions,
  type ExecProtocolOptionsStream,
  type ExecProtocolResult,
  Mutex,
  messages,
  PGlite,
  protocol,
  type Transaction,
} from '@electric-sql/pglite';
import { startWorker } from '../lib/start-worker';
import { CONNECTION_FAILURE } from './database-errors';
import type {
  DumpCompression,
  PgliteAsk,
  PgliteReply,
  PgliteRequest,
  PgliteThreadData,
  PgliteThreadSource,
} from './pglite-worker';

// `npm start` runs the bundle, where the worker is built beside this chunk as JavaScript;
// tests and `npm run dev` run the sources under tsx.
const BUNDLED = import.meta.url.endsWith('.js');
const WORKER_URL = new URL(BUNDLED ? './pglite-worker.js' : './pglite-worker.ts', import.meta.url);

type BaseClient = Pick<
  PGlite,
  | 'query'
  | 'sql'
  | 'exec'
  | 'transaction'
  | 'describeQuery'
  | 'runExclusive'
  | 'refreshArrayTypes'
  | '_initArrayTypes'
  | 'serializers'
  | 'parsers'
>;

/**
 * PGlite's own base class: query, exec and transactions, with the serialising and parsing of
 * values, built on `execProtocolStream` and a few hooks that a subclass provides.
 */
const BasePGlite = Object.getPrototypeOf(PGlite) as abstract new () => BaseClient;

type Pending = { resolve: (reply: PgliteReply) => void; reject: (error: Error) => void };
type Thread = { worker: Worker; pending: Map<number, Pending>; stopped: boolean };
type Listener = (payload: string) => void;
type GlobalListener = (channel: string, payload: string) => void;

const SYNC = protocol.serialize.sync();

/**
 * A PGlite whose database runs on a worker thread (pglite-worker.ts): the wire-protocol bytes
 * go there and the reply's come back, so drizzle and everything else see a PGlite while a long
 * statement leaves the request thread free. Replies are parsed here, so a database error keeps
 * its fields (code, constraint, detail). A thread that stops fails what was pending, and what
 * comes after, as a lost connection (08006); a directory database starts a new thread on next
 * use, where a memory or snapshot database, whose data went with the thread, stays away.
 */
export class PgliteThreadClient extends BasePGlite {
  readonly debug = 0;
  readonly waitReady: Promise<void>;
  readonly #restartable: PgliteThreadSource | undefined;
  #thread: Promise<Thread> | undefined;
  #stopReason = 'the embedded database thread stopped';
  #nextId = 0;
  #closing = false;
  #closed = false;
  readonly #queryMutex = new Mutex();
  readonly #transactionMutex = new Mutex();
  // Extended-protocol messages held back to travel with the next: see `execProtocolStream`.
  #held: Uint8Array[] = [];
  #syncSent = false;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #globalListeners = new Set<GlobalListener>();

  /** Starts the thread and resolves once its database answers. */
  static async create(source: PgliteThreadSource): Promise<PgliteThreadClient> {
    const client = new PgliteThreadClient(source);
    await client.waitReady;
    return client;
  }

  private constructor(source: PgliteThreadSource) {
    super();
    this.#restartable =
      source.kind === 'directory' ? { kind: 'directory', path: source.path } : undefined;
    this.#thread = this.#start(source);
    this.waitReady = this.#thread.then(() => this._initArrayTypes());
  }

  get ready(): boolean {
    return !this.#closing && !this.#closed && this.#thread !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends the thread at once, as a crash would: how tests reach the lost-connection path. */
  async terminateThread(): Promise<void> {
    const thread = await this.#thread;
    await thread?.worker.terminate();
  }

  #start(source: PgliteThreadSource): Promise<Thread> {
    const moved = source.kind === 'directory' ? source.seed : undefined;
    const bytes = source.kind === 'snapshot' ? source.snapshot : moved;
    const worker = startWorker(WORKER_URL, {
      workerData: { source } satisfies PgliteThreadData,
      transferList: bytes ? [bytes] : [],
      preload: ['@electric-sql/pglite'],
    });
    const thread: Thread = { worker, pending: new Map(), stopped: false };
    const started = new Promise<Thread>((resolve, reject) => {
      worker.on('message', (reply: PgliteReply) => {
        if (reply.kind === 'ready') {
          if (thread.pending.size === 0) worker.unref();
          return resolve(thread);
        }
        if (reply.kind === 'failed') return reject(new Error(reply.message));
        const pending = thread.pending.get(reply.id);
        thread.pending.delete(reply.id);
        if (thread.pending.size === 0) worker.unref();
        pending?.resolve(reply);
      });
      const stop = (reason: string) => {
        if (thread.stopped) return;
        thread.stopped = true;
        if (!this.#closing) this.#stopReason = `the embedded database thread stopped (${reason})`;
        reject(connectionLost(this.#stopReason));
        for (const pending of thread.pending.values())
          pending.reject(connectionLost(this.#stopReason));
        thread.pending.clear();
        this.#held = [];
        this.#syncSent = false;
        if (this.#thread === started) this.#thread = undefined;
      };
      worker.on('error', (error) => stop(error.message));
      worker.on('exit', (code) => stop(`exit code ${code}`));
    });
    return started;
  }

  /** Sends a request and waits for its reply; a stopped thread fails it as a lost connection. */
  async #request(ask: PgliteAsk, transfer: ArrayBuffer[] = []): Promise<PgliteReply> {
    const thread = await this.#thread;
    if (!thread || thread.stopped) throw connectionLost(this.#stopReason);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage({ ...ask, id } satisfies PgliteRequest, transfer);
    });
  }

  /** The held messages and `parts` in one buffer, sent; Postgres's reply. */
  async #exchange(parts: Uint8Array[]): Promise<Uint8Array> {
    const all = [...this.#held, ...parts];
    this.#held = [];
    const message = new Uint8Array(all.reduce((size, part) => size + part.length, 0));
    let offset = 0;
    for (const part of all) {
      message.set(part, offset);
      offset += part.length;
    }
    const reply = await this.#request({ kind: 'protocol', message }, [message.buffer]);
    if (reply.kind !== 'answer') throw new Error(`unexpected ${reply.kind} from the database`);
    return reply.data;
  }

  /**
   * PGlite's base class sends a query as Parse, Describe (statement), Bind, Describe (portal),
   * Execute, then Sync, each awaited: six thread round trips. Parse travels with the Describe
   * after it (whose parameter types the Bind needs), Bind and Describe with the Execute, and
   * the Execute (or a simple Query) takes its Sync along: two round trips, in the same order
   * Postgres would have read them. A message of another shape goes as it comes.
   */
  async execProtocolStream(
    message: Uint8Array,
    options: ExecProtocolOptions = {},
  ): Promise<messages.BackendMessage[]> {
    const step = stepOf(message);
    if (this.#syncSent) {
      this.#syncSent = false;
      if (step === 'sync') return [];
    }
    if (step === 'hold') {
      this.#held.push(message);
      return [];
    }
    const withSync = step === 'with-sync';
    const data = await this.#exchange(withSync ? [message, SYNC] : [message]);
    this.#syncSent = withSync;
    return this.#parse(data, options);
  }

  async execProtocol(
    message: Uint8Array,
    options: ExecProtocolOptions = {},
  ): Promise<ExecProtocolResult> {
    const data = await this.#exchange([message]);
    return { messages: this.#parse(data, options), data };
  }

  execProtocolRaw(message: Uint8Array, _options: ExecProtocolOptions = {}): Promise<Uint8Array> {
    return this.#exchange([message]);
  }

  async execProtocolRawStream(
    message: Uint8Array,
    { onRawData }: ExecProtocolOptionsStream,
  ): Promise<void> {
    onRawData(await this.#exchange([message]));
  }

  /**
   * The reply's messages as PGlite gives them: notices and notifications to their listeners,
   * and the first error thrown (with the messages after it dropped).
   */
  #parse(
    data: Uint8Array,
    { throwOnError = true, onNotice }: ExecProtocolOptions,
  ): messages.BackendMessage[] {
    const results: messages.BackendMessage[] = [];
    let error: messages.DatabaseError | undefined;
    new protocol.Parser().parse(data, (message) => {
      if (error) return;
      if (message instanceof messages.DatabaseError) {
        if (throwOnError) error = message;
      } else if (message instanceof messages.NoticeMessage) {
        onNotice?.(message);
      } else if (message instanceof messages.NotificationResponseMessage) {
        this.#notify(message.channel, message.payload);
      }
      results.push(message);
    });
    if (error) throw error;
    return results;
  }

  #notify(channel: string, payload: string) {
    for (const listener of this.#listeners.get(channel) ?? []) {
      queueMicrotask(() => listener(payload));
    }
    for (const listener of this.#globalListeners) {
      queueMicrotask(() => listener(channel, payload));
    }
  }

  /** Nothing to sync here: the thread syncs its filesystem after every exchange. */
  async syncToFs(): Promise<void> {}

  async _handleBlob(blob?: Blob): Promise<void> {
    if (blob) throw new Error('the embedded database thread takes no /dev/blob files');
  }

  async _getWrittenBlob(): Promise<undefined> {
    return undefined;
  }

  async _cleanupBlob(): Promise<void> {}

  async _checkReady(): Promise<void> {
    if (this.#closing) throw new Error('PGlite is closing');
    if (this.#closed) throw new Error('PGlite is closed');
    if (!this.#thread && this.#restartable) this.#thread = this.#start(this.#restartable);
    const thread = await this.#thread;
    if (!thread || thread.stopped) throw connectionLost(this.#stopReason);
  }

  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queryMutex.runExclusive(fn);
  }

  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.#transactionMutex.runExclusive(fn);
  }

  async listen(
    channel: string,
    callback: Listener,
    tx?: Transaction,
  ): Promise<(tx?: Transaction) => Promise<void>> {
    const name = postgresName(channel);
    const listeners = this.#listeners.get(name) ?? new Set();
    this.#listeners.set(name, listeners.add(callback));
    await (tx ?? this).exec(`LISTEN ${channel}`);
    return (tx?: Transaction) => this.unlisten(name, callback, tx);
  }

  async unlisten(channel: string, callback?: Listener, tx?: Transaction): Promise<void> {
    const name = postgresName(channel);
    const listeners = this.#listeners.get(name);
    if (callback) listeners?.delete(callback);
    if (!callback || listeners?.size === 0) {
      this.#listeners.delete(name);
      await (tx ?? this).exec(`UNLISTEN ${channel}`);
    }
  }

  onNotification(callback: GlobalListener): () => void {
    this.#globalListeners.add(callback);
    return () => this.#globalListeners.delete(callback);
  }

  offNotification(callback: GlobalListener): void {
    this.#globalListeners.delete(callback);
  }

  /** The data directory as a tarball, made on the thread (`loadDataDir` takes it back). */
  dumpDataDir(compression: DumpCompression = 'auto'): Promise<Blob> {
    return this.#queryMutex.runExclusive(async () => {
      await this._checkReady();
      const reply = await this.#request({ kind: 'dump', compression });
      if (reply.kind !== 'dump') throw new Error(`unexpected ${reply.kind} from the database`);
      const { type, name } = reply;
      const bytes = new Uint8Array(reply.bytes);
      return name === undefined ? new Blob([bytes], { type }) : new File([bytes], name, { type });
    });
  }

  /** Waits for the queries already issued, closes the database and ends its thread. */
  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    await this.#transactionMutex.runExclusive(() =>
      this.#queryMutex.runExclusive(async () => {
        this.#closing = true;
      }),
    );
    try {
      const thread = await this.#thread?.catch(() => undefined);
      if (thread) {
        await this.#request({ kind: 'close' }).catch(() => {});
        await thread.worker.terminate();
      }
    } finally {
      this.#closing = false;
      this.#closed = true;
    }
  }
}

/**
 * What the batching in `execProtocolStream` does with one message: Parse, Bind and a portal's
 * Describe wait for the next; Execute and a simple Query take a Sync along; a Sync after them
 * has gone already. Anything else, several messages at once included, is sent as it is.
 */
function stepOf(message: Uint8Array): 'hold' | 'with-sync' | 'sync' | 'send' {
  if (message.length < 5) return 'send';
  const length = new DataView(message.buffer, message.byteOffset, 5).getInt32(1);
  if (length + 1 !== message.length) return 'send';
  switch (String.fromCharCode(message[0] ?? 0)) {
    case 'P':
    case 'B':
      return 'hold';
    case 'D':
      return message[5] === 'P'.charCodeAt(0) ? 'hold' : 'send';
    case 'E':
    case 'Q':
      return 'with-sync';
    case 'S':
      return 'sync';
    default:
      return 'send';
  }
}

/** A connection failure (SQLSTATE 08006), as Postgres's clients report a lost connection. */
function connectionLost(message: string): messages.DatabaseError {
  const error = new messages.DatabaseError(message, 0, 'error');
  error.severity = 'FATAL';
  error.code = CONNECTION_FAILURE;
  return error;
}

/** A channel's name as Postgres keeps it: as quoted, or lower-cased. */
function postgresName(channel: string): string {
  return channel.startsWith('"') && channel.endsWith('"')
    ? channel.slice(1, -1)
    : channel.toLowerCase();
}
