import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobRuns, outboxMessages } from '../../../src/db/schema';
import { ABANDONED_AFTER_MS, ABANDONED_ERROR } from '../../../src/modules/jobs/abandoned-runs';
import { cronTable } from '../../../src/modules/jobs/cron-table';
import type { Job } from '../../../src/modules/jobs/job';
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

  it('does not run a job again when its run before was abandoned too, and keeps an abandoned run failed', async () => {
    const settle = cronTable.find((job) => job.name === 'settle-abandoned-runs');
    if (!settle) throw new Error('no settle-abandoned-runs job');
    await t.deps.db.delete(outboxMessages);
    // Monday's digest was killed, run again at 07:31 by the settle job, and killed again.
    await t.deps.db.insert(jobRuns).values([
      {
        id: '01900000-0000-7000-8000-000000000011',
        job: 'send-report-digest',
        scheduledFor: new Date('2026-03-09T07:00:00Z'),
        status: 'failed',
        error: ABANDONED_ERROR,
        startedAt: new Date('2026-03-09T07:00:00.100Z'),
        finishedAt: new Date('2026-03-09T07:31:00Z'),
      },
      {
        id: '01900000-0000-7000-8000-000000000012',
        job: 'send-report-digest',
        scheduledFor: new Date('2026-03-09T07:31:00Z'),
        status: 'running',
        startedAt: new Date('2026-03-09T07:31:00.200Z'),
      },
    ]);
    expect(await runJob(t.deps, settle, new Date('2026-03-09T08:02:00Z'))).toBe('succeeded');
    const digests = (await runs()).filter(
      (run) => run.job === 'send-report-digest' && run.at >= '2026-03-09',
    );
    expect(digests.map((run) => [run.at, run.status])).toEqual([
      ['2026-03-09T07:00:00.000Z', 'failed'],
      ['2026-03-09T07:31:00.000Z', 'failed'],
    ]);
    expect(await t.deps.db.select().from(outboxMessages)).toEqual([]);

    // A run that outlives the threshold is marked abandoned while it runs, and stays so.
    const slow: Job = {
      name: 'slow-job',
      schedule: '0 3 * * *',
      run: async (deps, now) => {
        await runJob(deps, settle, new Date(now.getTime() + ABANDONED_AFTER_MS + 60_000));
      },
    };
    expect(await runJob(t.deps, slow, new Date('2026-03-10T03:00:00Z'))).toBe('succeeded');
    expect((await runs()).find((run) => run.job === 'slow-job')).toMatchObject({
      status: 'failed',
      error: ABANDONED_ERROR,
    });
  });
});
