import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSpikesJob } from '../../../src/modules/jobs/definitions/detect-spikes.job';
import { retrySpikeAlertsJob } from '../../../src/modules/jobs/definitions/retry-spike-alerts.job';
import { runJob } from '../../../src/modules/jobs/run-job';
import { startFakeSlack } from '../../helpers/fake-slack';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, weeksWithASpike } from '../../helpers/tickets';

describe('the weekly spike detection job', () => {
  let t: TestApp;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;

  beforeAll(async () => {
    slack = await startFakeSlack();
    t = await startTestApp({ env: { SLACK_WEBHOOK_URL: slack.url } });
    const tickets = weeksWithASpike('Shipping');
    t.clock.set('2026-02-23T06:00:00Z');
    await ingestAll(t, tickets);
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  it("stores last week's spike and tells Slack once, retrying a failed message within minutes", async () => {
    slack.state.down = true;
    expect(await runJob(t.deps, detectSpikesJob, new Date('2026-02-23T06:00:00Z'))).toBe(
      'succeeded',
    );
    expect(slack.messages).toEqual([]);

    const alerts = await readJson(await t.request('/v1/spikes/alerts'));
    expect(alerts.data).toEqual([
      expect.objectContaining({
        week: '2026-02-16',
        reason: 'shipping',
        observed: 70,
        notified_at: null,
      }),
    ]);

    // Slack still down at the first retry: nothing sent, the alert still owed.
    expect(await runJob(t.deps, retrySpikeAlertsJob, new Date('2026-02-23T06:10:00Z'))).toBe(
      'succeeded',
    );
    expect(slack.messages).toEqual([]);
    slack.state.down = false;
    expect(await runJob(t.deps, retrySpikeAlertsJob, new Date('2026-02-23T06:20:00Z'))).toBe(
      'succeeded',
    );
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.text).toContain('Shipping');
    expect(slack.messages[0]?.text).toContain('70 contacts');

    expect(await runJob(t.deps, detectSpikesJob, new Date('2026-03-02T06:00:00Z'))).toBe(
      'succeeded',
    );
    expect(await runJob(t.deps, retrySpikeAlertsJob, new Date('2026-03-02T06:10:00Z'))).toBe(
      'succeeded',
    );
    expect(slack.messages).toHaveLength(1);
    const after = await readJson(await t.request('/v1/spikes/alerts'));
    expect(after.data).toHaveLength(1);
    expect(after.data[0].notified_at).not.toBeNull();
  });
});
