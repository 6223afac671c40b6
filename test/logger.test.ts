import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, type LogLevel } from '../src/logger';

type Line = { level: LogLevel; record: Record<string, unknown> };

function captured(minimum: LogLevel | 'silent') {
  const lines: Line[] = [];
  const logger = createLogger(minimum, (line, level) =>
    lines.push({ level, record: JSON.parse(line) }),
  );
  return { logger, lines };
}

describe('the structured logger (pino)', () => {
  it('writes one JSON line per event with its level, time, message and fields', () => {
    const { logger, lines } = captured('info');
    logger.info('request', { request_id: 'r1', status: 200 });
    logger.error('job failed', { job: 'x' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      level: 'info',
      record: {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        message: 'request',
        request_id: 'r1',
        status: 200,
      },
    });
    expect(lines[1]).toMatchObject({ level: 'error', record: { level: 'error', job: 'x' } });
  });

  it('drops what is below its level and says so before anything is built', () => {
    const { logger, lines } = captured('warn');
    logger.info('request');
    logger.debug('detail');
    logger.warn('slow');
    expect(lines.map((l) => l.record.message)).toEqual(['slow']);
    expect(logger.writes('info')).toBe(false);
    expect(logger.writes('warn')).toBe(true);
    const silent = captured('silent');
    silent.logger.error('nothing');
    expect(silent.lines).toEqual([]);
  });

  it('censors credentials whoever passes them, at the top and in headers', () => {
    const { logger, lines } = captured('debug');
    logger.warn('odd request', {
      authorization: 'Bearer fst_top-secret-key',
      headers: { authorization: 'Bearer fst_nested-secret', cookie: 'session=abc' },
      token: 'tok_123',
      password: 'hunter2',
      prefix: 'fst_abcd',
    });
    const text = JSON.stringify(lines);
    for (const secret of [
      'fst_top-secret-key',
      'fst_nested-secret',
      'session=abc',
      'tok_123',
      'hunter2',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]?.record).toMatchObject({
      authorization: '[Redacted]',
      headers: { authorization: '[Redacted]', cookie: '[Redacted]' },
      prefix: 'fst_abcd',
    });
  });

  it('writes the same lines, censored, through the browser build Workers bundle', async () => {
    vi.resetModules();
    vi.doMock('pino', () => ({ default: createRequire(import.meta.url)('pino/browser.js') }));
    try {
      const { createLogger: createWorkersLogger } = await import('../src/logger');
      const lines: string[] = [];
      const logger = createWorkersLogger('info', (line) => lines.push(line));
      logger.debug('dropped');
      logger.warn('no job has this schedule', { cron: '1 2 3 4 5', token: 'tok_456' });
      expect(lines).toHaveLength(1);
      const record = JSON.parse(lines[0] ?? '{}');
      expect(record).toMatchObject({
        level: 'warn',
        message: 'no job has this schedule',
        cron: '1 2 3 4 5',
        token: '[Redacted]',
      });
      expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT/);
      logger.flush();
    } finally {
      vi.doUnmock('pino');
      vi.resetModules();
    }
  });
});
