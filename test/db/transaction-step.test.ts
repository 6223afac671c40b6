import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryingTransaction } from '../../src/db/retry-transaction';
import { withTransactionStep } from '../../src/db/transaction-step';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('a transaction step (the idempotency mark of a request)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("is taken by the request's transactions, not by work it leaves running", async () => {
    const taken: string[] = [];
    await withTransactionStep(
      async () => {
        taken.push('step');
      },
      async () => {
        await retryingTransaction(t.deps.db, async () => {});
        t.deps.background(() => retryingTransaction(t.deps.db, async () => {}));
      },
    );
    await t.settle();
    expect(taken).toEqual(['step']);
  });
});
