import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { isDatabaseConnectionEnd } from '../../src/db/database-errors';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseConnectionEnd (what the Node entry survives when nothing awaited it)', () => {
  it('holds for postgres.js saying the server or the driver ended a connection', () => {
    const terminated = new postgres.PostgresError({
      message: 'terminating connection due to administrator command',
      code: '57P01',
    } as never);
    expect(isDatabaseConnectionEnd(terminated)).toBe(true);
    expect(isDatabaseConnectionEnd(withCode('write CONNECTION_CLOSED', 'CONNECTION_CLOSED'))).toBe(
      true,
    );
    expect(isDatabaseConnectionEnd(new Error('Failed query', { cause: terminated }))).toBe(true);
    // What postgres.js rejects with when the server resets the socket under it.
    const reset = Object.assign(withCode('read ECONNRESET', 'ECONNRESET'), { syscall: 'read' });
    expect(isDatabaseConnectionEnd(reset)).toBe(true);
    // What the embedded database's client fails a query with once its thread has stopped.
    const lost = withCode('the embedded database thread stopped', '08006');
    expect(isDatabaseConnectionEnd(new Error('Failed query', { cause: lost }))).toBe(true);
  });

  it('does not hold for other database errors, nor for network errors of other clients', () => {
    const duplicate = new postgres.PostgresError({
      message: 'duplicate key',
      code: '23505',
    } as never);
    expect(isDatabaseConnectionEnd(duplicate)).toBe(false);
    // fetch (Resend, Slack, webhooks) wraps its socket's error in a TypeError.
    const socket = Object.assign(withCode('read ECONNRESET', 'ECONNRESET'), { syscall: 'read' });
    expect(isDatabaseConnectionEnd(new TypeError('fetch failed', { cause: socket }))).toBe(false);
    expect(isDatabaseConnectionEnd(withCode('getaddrinfo ENOTFOUND', 'ENOTFOUND'))).toBe(false);
    expect(isDatabaseConnectionEnd('CONNECTION_CLOSED')).toBe(false);
  });
});
