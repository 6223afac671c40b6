import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobRuns, outboxMessages } from '../../../src/db/schema';
import { cronTable } from '../../../src/modules/jobs/cron-table';
import { runJobsForCron } from '../../../src/modules/jobs/run-job';
import { latestMoment } from '../../../src/modules/jobs/schedule-moments';
import { startFakeSlack } from '../../helpers/fake-slack';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, weeksWithASpike } from '../../helpers/tickets';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The Workers Cron Triggers, which fire in UTC (node-cron's tasks fire the same). */
async function cronTriggers(): Promise<string[]> {
  const toml = await readFile(new URL('../../../wrangler.toml', import.meta.url), 'utf8');
  const crons = toml.match(/^crons\s*=\s*\[(.*)\]/m)?.[1] ?? '';
  return [...crons.matchAll(/"([^"]+)"/g)].map((match) => match[1] ?? '');
}

// Monday 23 February 2026, 06:00 and 07:00 local, and a week later (no daylight saving change
// between): Los Angeles (UTC-8) is still on Sunday when it is Monday 06:00 UTC, Auckland
// (UTC+13) already on Monday afternoon.
const zones = [
  {
    zone: 'America/Los_Angeles',
    detection: '2026-02-23T14:00:00.000Z',
    digest: '2026-02-23T15:00:00.000Z',
    nextDetection: '2026-03-02T14:00:00.000Z',
    nextDigest: '2026-03-02T15:00:00.000Z',
  },
  {
    zone: 'Pacific/Auckland',
    detection: '2026-02-22T17:00:00.000Z',
    digest: '2026-02-22T18:00:00.000Z',
    nextDetection: '2026-03-01T17:00:00.000Z',
    nextDigest: '2026-03-01T18:00:00.000Z',
  },
];

// Each test fires the minute trigger about 170 times, every job it names running against the
// database each time: 20-40 s on a loaded 2-core machine, so vitest's 30 s default is too close.
describe.each(zones)(
  'the Monday jobs with WORKSPACE_TIME_ZONE=$zone',
  { timeout: 120_000 },
  (local) => {
    let t: TestApp;
    let slack: Awaited<ReturnType<typeof startFakeSlack>>;
    let triggers: string[];

    beforeAll(async () => {
      triggers = await cronTriggers();
      slack = await startFakeSlack();
      t = await startTestApp({
        env: {
          WORKSPACE_TIME_ZONE: local.zone,
          SLACK_WEBHOOK_URL: slack.url,
          REPORT_DIGEST_TO: 'lead@example.com',
        },
      });
      // At 20:00 UTC: a weekday afternoon in Los Angeles, the next morning in Auckland.
      const tickets = weeksWithASpike('Shipping', 20);
      t.clock.set('2026-02-21T12:00:00Z');
      await ingestAll(t, tickets);
    });
    afterAll(async () => {
      await t.close();
      await slack.close();
    });
    beforeEach(async () => {
      await t.deps.db.delete(jobRuns);
      await t.deps.db.delete(outboxMessages);
      slack.messages.length = 0;
    });

    /** Fires, at each of `times`, every Cron Trigger that names that minute, as Cloudflare does. */
    const fire = async (times: number[]) => {
      for (const at of times) {
        const now = new Date(at);
        t.clock.set(now);
        for (const cron of triggers) {
          if (latestMoment(cron, now)?.getTime() === at) {
            await runJobsForCron(t.deps, cronTable, cron, now);
          }
        }
      }
    };
    const shift = (at: string, minutes: number) =>
      new Date(Date.parse(at) + minutes * MINUTE).toISOString();
    const every = (step: number, from: string, to: string) => {
      const times = [];
      for (let at = Date.parse(from); at <= Date.parse(to); at += step) times.push(at);
      return times;
    };

    const runsOf = async (job: string) =>
      (await t.deps.db.select().from(jobRuns))
        .filter((run) => run.job === job)
        .sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime())
        .map((run) => ({ scheduled_for: run.scheduledFor.toISOString(), status: run.status }));
    const digestSubjects = async () =>
      (await t.deps.db.select().from(outboxMessages)).map((message) => message.subject);

    it('reports the week that just ended there, on its Monday morning, once', async () => {
      // Every hour from Saturday to Wednesday UTC, and every minute around the local Monday
      // morning.
      const around = every(MINUTE, shift(local.detection, -5), shift(local.digest, 10));
      const hours = every(HOUR, '2026-02-21T00:00:00Z', '2026-02-25T00:00:00Z');
      await fire([...new Set([...hours, ...around])].sort((a, b) => a - b));

      expect(await runsOf('detect-spikes')).toEqual([
        { scheduled_for: local.detection, status: 'succeeded' },
      ]);
      expect(await runsOf('send-report-digest')).toEqual([
        { scheduled_for: local.digest, status: 'succeeded' },
      ]);
      const alerts = await readJson(await t.request('/v1/spikes/alerts'));
      expect(alerts.data).toEqual([
        expect.objectContaining({ week: '2026-02-16', reason: 'shipping', observed: 70 }),
      ]);
      expect(slack.messages).toHaveLength(1);
      expect(await digestSubjects()).toEqual([
        expect.stringContaining('Prevented contacts, 2026-02-16 to 2026-02-22'),
      ]);
    });

    it('does a Monday missed while no process was up once, when one comes back', async () => {
      // Last week's runs were made on time; then no process was up from Sunday to Tuesday.
      await t.deps.db.insert(jobRuns).values(
        [
          ['detect-spikes', local.detection],
          ['send-report-digest', local.digest],
        ].map(([job, at]) => ({
          id: crypto.randomUUID(),
          job: job ?? '',
          scheduledFor: new Date(at ?? ''),
          status: 'succeeded' as const,
          startedAt: new Date(at ?? ''),
          finishedAt: new Date(at ?? ''),
        })),
      );
      await fire(every(MINUTE, '2026-03-03T20:00:00Z', '2026-03-03T20:05:00Z'));
      await fire(every(HOUR, '2026-03-03T21:00:00Z', '2026-03-04T12:00:00Z'));

      expect(await runsOf('detect-spikes')).toEqual([
        { scheduled_for: local.detection, status: 'succeeded' },
        { scheduled_for: local.nextDetection, status: 'succeeded' },
      ]);
      expect(await runsOf('send-report-digest')).toEqual([
        { scheduled_for: local.digest, status: 'succeeded' },
        { scheduled_for: local.nextDigest, status: 'succeeded' },
      ]);
      expect(await digestSubjects()).toEqual([
        expect.stringContaining('Prevented contacts, 2026-02-23 to 2026-03-01'),
      ]);
    });
  },
);
