import type { Db } from './database';
import { transactionStep } from './transaction-step';

// deadlock_detected and serialization_failure: Postgres rolled the transaction back whole,
// so running it again is safe and is the documented remedy.
const RETRYABLE_CODES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

type Transaction = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * `db.transaction` that re-runs the work when Postgres aborts it for a deadlock, and takes the
 * caller's `withTransactionStep` first.
 */
export async function retryingTransaction<T>(
  db: Db,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const step = transactionStep();
  const withStep = step
    ? async (tx: Transaction) => {
        await step(tx);
        return work(tx);
      }
    : work;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(withStep);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !RETRYABLE_CODES.has(postgresCode(error) ?? '')) throw error;
      const backoffMs = 2 ** attempt * 10 * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}

export function postgresCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    if ('code' in current && typeof current.code === 'string') return current.code;
  }
  return undefined;
}

/**
 * Runs `work` inside the caller's transaction when given one (`db` is not the pool), or in a
 * retrying transaction of its own, so a service can be called alone or as a step of a larger
 * write.
 */
export function withinTransaction<T>(
  pool: Db,
  db: Db,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return db === pool ? retryingTransaction(pool, work) : work(db as Transaction);
}
