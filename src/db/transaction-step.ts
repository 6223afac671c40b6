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
  // Work that `work` starts and does not await (deps.background) inherits the step too; none
  // of it uses retryingTransaction today, and one that did would mark the request's work done.
  return steps.run(step, work);
}

/** The step the current work asked its transactions to take, if any. */
export const transactionStep = (): Step | undefined => steps.getStore();
