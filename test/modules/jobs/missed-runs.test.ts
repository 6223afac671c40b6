import cron from 'node-cron';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobRuns, outboxMessages } from '../../../src/db/schema';
import { cronTable } from '../../../src/modules/jobs/cron-table';
import type { Job } from '../../../src/modules/jobs/job';
import { runJob } from '../../../src/modules/jobs/run-job';
import { latestMoment } from '../../../src/modules/jobs/schedule-moments';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const jobNamed = (name: string): Job => {
  const job = cronTable.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`no job ${name} in the cron table`);
  return job;
};

const settle = jobNamed('settle-abandoned-runs');

// Auckland (UTC+13 in March) is a day ahead: Sunday noon UTC is already next Monday there, so
// a run that reads its week from the time it is made up reports another week than Monday's.
const env = { REPORT_DIGEST_TO: 'lead@example.com', WORKSPACE_TIME_ZONE: 'Pacific/Auckland' };
// The digest's Monday 07:00 there is Sunday 18:00 UTC.
const MONDAY_DIGEST = '2026-03-01T18:00:00.000Z';
const MONDAYS_WEEK = '2026-02-23 to 2026-03-01';

describe('scheduled runs missed while no process was up', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.delete(jobRuns);
    await t.deps.db.delete(outboxMessages);
    t.logs.length = 0;
  });

  /** The settle minute job as the scheduler or Cron Trigger runs it at `at`. */
  const minuteJobAt = (at: string) => {
    t.clock.set(at);
    return runJob(t.deps, settle, new Date(at));
  };

  const runsOf = async (job: string) =>
    (await t.deps.db.select().from(jobRuns))
      .filter((run) => run.job === job)
      .sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime())
      .map((run) => ({
        scheduled_for: run.scheduledFor.toISOString(),
        started_at: run.startedAt.toISOString(),
        status: run.status,
      }));

  const digestSubjects = async () =>
    (await t.deps.db.select().from(outboxMessages)).map((message) => message.subject);

  const pastRun = (job: string, at: string, status: 'succeeded' | 'running' = 'succeeded') => ({
    id: crypto.randomUUID(),
    job,
    scheduledFor: new Date(at),
    status,
    startedAt: new Date(at),
    finishedAt: status === 'succeeded' ? new Date(at) : null,
  });

  it('runs a weekly job whose Monday passed while the process was down once, for that Monday', async () => {
    // The digest last ran three Mondays before the process came back on Sunday.
    await t.deps.db.insert(jobRuns).values(pastRun('send-report-digest', '2026-02-08T18:00:00Z'));

    expect(await minuteJobAt('2026-03-08T12:00:00Z')).toBe('succeeded');
    expect(await minuteJobAt('2026-03-08T12:01:00Z')).toBe('succeeded');
    expect(await minuteJobAt('2026-03-08T12:02:00Z')).toBe('succeeded');

    expect(await runsOf('send-report-digest')).toEqual([
      expect.objectContaining({ scheduled_for: '2026-02-08T18:00:00.000Z' }),
      {
        scheduled_for: MONDAY_DIGEST,
        started_at: '2026-03-08T12:00:00.000Z',
        status: 'succeeded',
      },
    ]);
    expect(await digestSubjects()).toEqual([expect.stringContaining(MONDAYS_WEEK)]);
    const caughtUp = t.logs
      .map((line) => JSON.parse(line))
      .filter((line) => line.message === 'missed job run caught up');
    expect(caughtUp).toEqual([
      expect.objectContaining({
        level: 'warn',
        job: 'send-report-digest',
        scheduled_for: MONDAY_DIGEST,
        outcome: 'succeeded',
      }),
    ]);
    // Spike detection never ran in this database: nothing of it to catch up.
    expect(await runsOf('detect-spikes')).toEqual([]);
  });

  it('catches up a weekly job whose last run, before a 40-day outage, outlived the pruning', async () => {
    await t.deps.db.insert(jobRuns).values(pastRun('send-report-digest', '2026-01-25T18:00:00Z'));
    // Back in the daily prune's minute: the prune runs before the minute job reads the runs.
    t.clock.set('2026-03-06T03:17:00Z');
    expect(await runJob(t.deps, jobNamed('prune-job-runs'), t.clock.now())).toBe('succeeded');
    expect(await minuteJobAt('2026-03-06T03:17:00Z')).toBe('succeeded');
    expect((await runsOf('send-report-digest')).map((run) => run.scheduled_for)).toEqual([
      '2026-01-25T18:00:00.000Z',
      MONDAY_DIGEST,
    ]);
    expect(await digestSubjects()).toEqual([expect.stringContaining(MONDAYS_WEEK)]);
  });

  it('does not catch up a run the scheduler made, nor one of the minute it is due', async () => {
    await t.deps.db
      .insert(jobRuns)
      .values([
        pastRun('send-report-digest', '2026-02-22T18:00:00Z'),
        pastRun('send-report-digest', MONDAY_DIGEST),
      ]);
    expect(await minuteJobAt('2026-03-03T10:00:00Z')).toBe('succeeded');
    // Next Monday's 07:00 is its scheduler's: the minute job leaves that minute alone.
    expect(await minuteJobAt('2026-03-08T18:00:00Z')).toBe('succeeded');
    expect((await runsOf('send-report-digest')).map((run) => run.scheduled_for)).toEqual([
      '2026-02-22T18:00:00.000Z',
      MONDAY_DIGEST,
    ]);
    expect(await digestSubjects()).toEqual([]);
  });

  it('does not fire a weekly job that never ran in this database (a fresh install)', async () => {
    expect(await minuteJobAt('2026-03-03T10:00:00Z')).toBe('succeeded');
    const ran = (await t.deps.db.select().from(jobRuns)).map((run) => run.job);
    expect(ran).toEqual(['settle-abandoned-runs']);
    expect(await digestSubjects()).toEqual([]);
  });

  it('runs a missed Monday once when two instances catch it up together', async () => {
    await t.deps.db.insert(jobRuns).values(pastRun('send-report-digest', '2026-02-22T18:00:00Z'));
    t.clock.set('2026-03-03T10:01:00Z');
    const outcomes = await Promise.all([
      runJob(t.deps, settle, new Date('2026-03-03T10:00:00Z')),
      runJob(t.deps, settle, new Date('2026-03-03T10:01:00Z')),
    ]);
    expect(outcomes).toEqual(['succeeded', 'succeeded']);
    expect((await runsOf('send-report-digest')).map((run) => run.scheduled_for)).toEqual([
      '2026-02-22T18:00:00.000Z',
      MONDAY_DIGEST,
    ]);
    expect(await digestSubjects()).toEqual([expect.stringContaining(MONDAYS_WEEK)]);
  });

  it('runs a caught-up run that was abandoned again once, for the same Monday', async () => {
    // Caught up on Sunday at 11:00 UTC, and killed mid-send.
    await t.deps.db.insert(jobRuns).values([
      pastRun('send-report-digest', '2026-02-22T18:00:00Z'),
      {
        ...pastRun('send-report-digest', MONDAY_DIGEST, 'running'),
        startedAt: new Date('2026-03-08T11:00:00Z'),
      },
    ]);
    expect(await minuteJobAt('2026-03-08T11:31:00Z')).toBe('succeeded');
    expect(await minuteJobAt('2026-03-08T11:32:00Z')).toBe('succeeded');
    expect(await runsOf('send-report-digest')).toEqual([
      expect.objectContaining({ scheduled_for: '2026-02-22T18:00:00.000Z' }),
      expect.objectContaining({ scheduled_for: MONDAY_DIGEST, status: 'failed' }),
      expect.objectContaining({ scheduled_for: '2026-03-08T11:31:00.000Z', status: 'succeeded' }),
    ]);
    expect(await digestSubjects()).toEqual([expect.stringContaining(MONDAYS_WEEK)]);
  });

  it('catches up the latest Monday instead of rerunning an abandoned one it has passed', async () => {
    // The digest of 23 February was killed mid-send, and the process stayed down past 2 March.
    await t.deps.db
      .insert(jobRuns)
      .values([
        pastRun('send-report-digest', '2026-02-15T18:00:00Z'),
        pastRun('send-report-digest', '2026-02-22T18:00:00Z', 'running'),
      ]);
    expect(await minuteJobAt('2026-03-03T10:00:00Z')).toBe('succeeded');
    expect(await minuteJobAt('2026-03-03T10:01:00Z')).toBe('succeeded');
    expect(await runsOf('send-report-digest')).toEqual([
      expect.objectContaining({ scheduled_for: '2026-02-15T18:00:00.000Z' }),
      expect.objectContaining({ scheduled_for: '2026-02-22T18:00:00.000Z', status: 'failed' }),
      expect.objectContaining({ scheduled_for: MONDAY_DIGEST, status: 'succeeded' }),
    ]);
    expect(await digestSubjects()).toEqual([expect.stringContaining(MONDAYS_WEEK)]);
  });
});

describe('the latest moment of a schedule', () => {
  const parsed = (schedule: string) => {
    const fields = cron.parse(schedule);
    const weekdays = new Set(fields.dayOfWeek.map((day) => Number(day) % 7));
    return (at: Date) =>
      fields.minute.includes(at.getUTCMinutes()) &&
      fields.hour.includes(at.getUTCHours()) &&
      fields.dayOfMonth.includes(at.getUTCDate()) &&
      fields.month.includes(at.getUTCMonth() + 1) &&
      weekdays.has(at.getUTCDay());
  };

  it("is node-cron's last match for every schedule in the cron table", () => {
    const schedules = new Set([...cronTable.map((job) => job.schedule), '30 2 29 2 *']);
    const times = ['2026-03-02T06:59:30Z', '2026-03-02T07:00:00Z', '2026-03-01T00:00:00Z'];
    times.push('2028-03-01T03:16:59Z', '2026-12-31T23:59:00Z', '2027-01-01T00:00:00Z');
    for (const schedule of schedules) {
      const matches = parsed(schedule);
      for (const time of times) {
        let expected = new Date(Math.floor(Date.parse(time) / 60_000) * 60_000);
        while (!matches(expected)) expected = new Date(expected.getTime() - 60_000);
        expect([schedule, time, latestMoment(schedule, new Date(time))]).toEqual([
          schedule,
          time,
          expected,
        ]);
      }
    }
  });
});
