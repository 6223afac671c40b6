import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jobRuns } from '../../../src/db/schema';
import { cronTable } from '../../../src/modules/jobs/cron-table';
import type { Job } from '../../../src/modules/jobs/job';
import { startScheduler } from '../../../src/modules/jobs/node-scheduler';
import { runJob, runJobsForCron } from '../../../src/modules/jobs/run-job';
import { triggerOf } from '../../../src/modules/jobs/schedule-moments';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('scheduled jobs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const countingJob = (name: string, schedule = '*/5 * * * *') => {
    const calls: Date[] = [];
    const job: Job = { name, schedule, run: async (_deps, now) => void calls.push(now) };
    return { job, calls };
  };

  it('runs a job once per scheduled minute even when two instances fire together', async () => {
    const { job, calls } = countingJob('count-once');
    const now = new Date('2026-03-02T09:05:00.250Z');
    const outcomes = await Promise.all([runJob(t.deps, job, now), runJob(t.deps, job, now)]);
    expect(outcomes.sort()).toEqual(['skipped', 'succeeded']);
    expect(calls).toEqual([now]);
    expect(await runJob(t.deps, job, new Date('2026-03-02T09:10:00Z'))).toBe('succeeded');
    expect(calls).toHaveLength(2);
  });

  it('records a failed run with its error and lets the next minute run', async () => {
    const failing: Job = {
      name: 'always-fails',
      schedule: '* * * * *',
      run: async () => {
        throw new Error('upstream said no');
      },
    };
    expect(await runJob(t.deps, failing, new Date('2026-03-02T10:00:00Z'))).toBe('failed');
    const page = await readJson(await t.request('/v1/job-runs?job=always-fails'));
    expect(page.data).toEqual([
      expect.objectContaining({ job: 'always-fails', status: 'failed', error: 'upstream said no' }),
    ]);
    expect(page.data[0].finished_at).not.toBeNull();
  });

  it('runs the jobs whose schedule a Cron Trigger fired, and only those', async () => {
    const hourly = countingJob('hourly', '0 * * * *');
    const daily = countingJob('daily', '0 3 * * *');
    const outcomes = await runJobsForCron(
      t.deps,
      [hourly.job, daily.job],
      '0 * * * *',
      new Date('2026-03-02T11:00:00Z'),
    );
    expect(outcomes).toEqual(['succeeded']);
    expect(hourly.calls).toHaveLength(1);
    expect(daily.calls).toHaveLength(0);
  });

  it('node-cron calls the job on its schedule and stops cleanly', async () => {
    const everySecond = countingJob('every-second', '* * * * * *');
    const realTime = { ...t.deps, clock: { now: () => new Date() } };
    const scheduler = startScheduler(realTime, [everySecond.job]);
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    await scheduler.stop();
    const ran = everySecond.calls.length;
    expect(ran).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(everySecond.calls.length).toBe(ran);
    const rows = await t.deps.db.select().from(jobRuns);
    expect(rows.filter((row) => row.job === 'every-second').length).toBe(ran);
  });

  it('still runs a minute job whose moment came while the process was busy', async () => {
    // Only Date is faked (timers stay real): the clock jumps 5 s past the minute before
    // node-cron's timer gets to run, as it does when the event loop is blocked by other work.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(new Date('2026-03-02T09:00:59.700Z'));
    const late = countingJob('late-minute', '* * * * *');
    const scheduler = startScheduler({ ...t.deps, clock: { now: () => new Date() } }, [late.job]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      vi.setSystemTime(new Date('2026-03-02T09:01:05.000Z'));
      for (let i = 0; i < 40 && late.calls.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await scheduler.stop();
      vi.useRealTimers();
    }
    expect(late.calls.map((call) => call.toISOString().slice(0, 16))).toEqual(['2026-03-02T09:01']);
    const runs = await t.request('/v1/job-runs?job=late-minute');
    expect((await readJson(runs)).data).toEqual([
      expect.objectContaining({ scheduled_for: '2026-03-02T09:01:00.000Z', status: 'succeeded' }),
    ]);
  });

  it('runs a job read in the workspace zone at its local time there, not in UTC', async () => {
    const losAngeles = {
      ...t.deps,
      config: { ...t.deps.config, workspaceTimeZone: 'America/Los_Angeles' },
      clock: { now: () => new Date() },
    };
    const monday = countingJob('monday-0600-local', '0 6 * * 1');
    const local: Job = { ...monday.job, inWorkspaceZone: true };
    const minutes = countingJob('every-utc-minute', '* * * * *');
    // Runs node-cron across one minute's start (Date faked, timers real, as above).
    const schedulerAt = async (minute: string) => {
      const ran = minutes.calls.length;
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      vi.setSystemTime(new Date(Date.parse(minute) - 300));
      const scheduler = startScheduler(losAngeles, [local, minutes.job]);
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        vi.setSystemTime(new Date(Date.parse(minute) + 5_000));
        for (let i = 0; i < 40 && minutes.calls.length === ran; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      } finally {
        await scheduler.stop();
        vi.useRealTimers();
      }
      expect(minutes.calls).toHaveLength(ran + 1);
    };
    // Monday 06:00 UTC is Sunday 22:00 in Los Angeles; its Monday 06:00 is 14:00 UTC.
    await schedulerAt('2026-02-23T06:00:00Z');
    expect(monday.calls).toEqual([]);
    await schedulerAt('2026-02-23T14:00:00Z');
    expect(monday.calls.map((call) => call.toISOString().slice(0, 16))).toEqual([
      '2026-02-23T14:00',
    ]);
  });

  it("prunes job runs older than 30 days but each job's latest", async () => {
    const prune = cronTable.find((job) => job.name === 'prune-job-runs');
    expect(prune).toBeDefined();
    const { job: old } = countingJob('ancient');
    await runJob(t.deps, old, new Date('2026-01-01T00:00:00Z'));
    await runJob(t.deps, old, new Date('2026-01-08T00:00:00Z'));
    const { job: recent } = countingJob('recent');
    await runJob(t.deps, recent, new Date('2026-01-15T00:00:00Z'));
    await runJob(t.deps, recent, new Date('2026-02-25T00:00:00Z'));
    if (prune) await runJob(t.deps, prune, new Date('2026-03-02T03:17:00Z'));
    const runs = (await t.deps.db.select().from(jobRuns))
      .filter((row) => row.job === 'ancient' || row.job === 'recent')
      .map((row) => `${row.job} ${row.scheduledFor.toISOString().slice(0, 10)}`);
    expect(runs.sort()).toEqual(['ancient 2026-01-08', 'recent 2026-02-25']);
  });

  it('lists every cron table schedule as a Workers Cron Trigger in wrangler.toml', async () => {
    const toml = await readFile(new URL('../../../wrangler.toml', import.meta.url), 'utf8');
    const crons = toml.match(/^crons\s*=\s*\[(.*)\]/m)?.[1] ?? '';
    const triggers = [...crons.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
    const schedules = [...new Set(cronTable.map(triggerOf))];
    expect(triggers.sort()).toEqual(schedules.sort());
  });
});
