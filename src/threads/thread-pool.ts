import type { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode, type FieldError } from '../http/app-error';
import { startWorker } from '../lib/start-worker';

/** What a thread answers: the task's result, or its error in a form that survives cloning. */
export type ThreadReply =
  | { id: number; result: unknown }
  | { id: number; error: { message: string; code?: ErrorCode; errors?: FieldError[] } };

export type ThreadPool = {
  /** Runs `task` with `input` on thread `slot` (modulo the pool's size; default: the next). */
  run(task: string, input: unknown, slot?: number): Promise<unknown>;
  /** Starts every thread and resolves once each has loaded its code and answered `task`. */
  warm(task: string): Promise<void>;
  readonly size: number;
};

type Pending = { resolve: (result: unknown) => void; reject: (error: Error) => void };
type Thread = { worker: Worker; pending: Map<number, Pending> };

/**
 * Node only: work that grows with data (fitting models, simulating, expanding calendars,
 * drawing charts) runs on worker threads, so the event loop that answers requests never
 * waits for it. Threads start on first use and stay, keeping the process alive only while
 * they work. A thread that fails takes its pending tasks with it and is replaced on next use.
 */
export function createThreadPool(
  workerUrl: URL,
  size = 2,
  workerData: { background: boolean } = { background: false },
): ThreadPool {
  const threads: (Thread | undefined)[] = [];
  let nextId = 0;
  let nextSlot = 0;
  const start = (slot: number): Thread => {
    const worker = startWorker(workerUrl, { workerData });
    worker.unref();
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (reply: ThreadReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if (!pending) return;
      if ('result' in reply) pending.resolve(reply.result);
      else pending.reject(revived(reply.error));
    });
    const fail = (error: Error) => {
      for (const p of thread.pending.values()) p.reject(error);
      thread.pending.clear();
      if (threads[slot] === thread) threads[slot] = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker thread exited with ${code}`)));
    return thread;
  };
  const run = (task: string, input: unknown, slot?: number) => {
    const index = (slot ?? nextSlot++) % size;
    const thread = threads[index] ?? start(index);
    threads[index] = thread;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage({ id, task, input });
    });
  };
  return {
    size,
    run,
    async warm(task) {
      await Promise.all(Array.from({ length: size }, (_, slot) => run(task, null, slot)));
    },
  };
}

/** An error as a thread sends it back: an AppError keeps its code and field errors. */
export function replyError(id: number, error: unknown): ThreadReply {
  if (error instanceof AppError) {
    return { id, error: { message: error.detail, code: error.code, errors: error.errors } };
  }
  return { id, error: { message: error instanceof Error ? error.message : String(error) } };
}

function revived(error: { message: string; code?: ErrorCode; errors?: FieldError[] }): Error {
  return error.code
    ? new AppError(error.code, error.message, error.errors)
    : new Error(error.message);
}
