import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from './database';

type Step = (tx: Db) => Promise<unknown>;

const steps = new AsyncLocalStorage<Step>();

/**
 * Runs `work` so that every transaction it opens through `retryingTransaction` first takes
 * `step`, which then commits or rolls back with that transaction's own writes: a request can
 * leave a mark that exists exactly when its work was committed.
 */
export function withTransactionStep<T>(step: Step, work: () => Promise<T>): Promise<T> {
  return steps.run(step, work);
}

/**
 * Starts `work` with no step, for work a request leaves running (`deps.background`): it would
 * otherwise inherit the request's step, and its transactions would mark the request's work done.
 */
export function outsideTransactionStep<T>(work: () => Promise<T>): Promise<T> {
  return steps.exit(work);
}

/** The step the current work asked its transactions to take, if any. */
export const transactionStep = (): Step | undefined => steps.getStore();
