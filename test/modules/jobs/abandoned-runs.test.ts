import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRuns, outboxMessages } from '../../../src/db/schema';
import { cronTable } from '../../../src/modules/jobs/cron-table';
import { runJob } from '../../../src/modules/jobs/run-job';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('job runs abandoned by a process that died mid-run', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REPORT_DIGEST_TO: 'lead@example.com' } });
  });
  afterAll(() => t.close());

  const runs = async () =>
    (await t.deps.db.select().from(jobRuns)).map((row) => ({
      job: row.job,
      at: row.scheduledFor.toISOString(),
      status: row.status,
      error: row.error,
    }));

  it('marks them failed and sends a weekly digest that was killed mid-run, once', async () => {
    const settle = cronTable.find((job) => job.name === 'settle-abandoned-runs');
    expect(settle).toBeDefined();
    if (!settle) return;
    // What kill -9 leaves: Monday's 07:00 digest claimed and never finished, and a minute job
    // that is still running in another, live, process.
    await t.deps.db.insert(jobRuns).values([
      {
        id: '01900000-0000-7000-8000-000000000001',
        job: 'send-report-digest',
        scheduledFor: new Date('2026-03-02T07:00:00Z'),
        status: 'running',
        startedAt: new Date('2026-03-02T07:00:00.120Z'),
      },
      {
        id: '01900000-0000-7000-8000-000000000002',
        job: 'send-emails',
        scheduledFor: new Date('2026-03-02T08:59:00Z'),
        status: 'running',
        startedAt: new Date('2026-03-02T08:59:00.050Z'),
      },
    ]);

    expect(await runJob(t.deps, settle, new Date('2026-03-02T09:00:00Z'))).toBe('succeeded');
    expect(await runJob(t.deps, settle, new Date('2026-03-02T09:01:00Z'))).toBe('succeeded');

    const all = await runs();
    expect(all.filter((run) => run.job === 'send-report-digest')).toEqual([
      expect.objectContaining({
        at: '2026-03-02T07:00:00.000Z',
        status: 'failed',
        error: expect.stringContaining('abandoned'),
      }),
      expect.objectContaining({ at: '2026-03-02T09:00:00.000Z', status: 'succeeded' }),
    ]);
    expect(all.find((run) => run.job === 'send-emails')?.status).toBe('running');
    const sent = await t.deps.db.select().from(outboxMessages);
    expect(sent.map((message) => [message.to, message.subject.slice(0, 19)])).toEqual([
      ['lead@example.com', 'Prevented contacts,'],
    ]);
  });
});
