import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSpikesJob } from '../../../src/modules/jobs/definitions/detect-spikes.job';
import { runJob } from '../../../src/modules/jobs/run-job';
import { startFakeSlack } from '../../helpers/fake-slack';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, weeksWithASpike } from '../../helpers/tickets';

// What tickets and calendars bring, written as Slack would read markup: a mention and a link.
const REASON = 'Login <!channel> <https://evil.example|Sign in again> & more';
const EVENT = 'Release <!here>';

describe('the Slack message of a spike', () => {
  let t: TestApp;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;

  beforeAll(async () => {
    slack = await startFakeSlack();
    t = await startTestApp({ env: { SLACK_WEBHOOK_URL: slack.url } });
    const tickets = weeksWithASpike(REASON);
    t.clock.set('2026-02-23T06:00:00Z');
    await ingestAll(t, tickets);
    const event = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'release',
        title: EVENT,
        starts_at: '2026-02-18T09:00:00Z',
        ends_at: '2026-02-18T10:00:00Z',
      },
    });
    expect(event.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  it('shows a reason label and an event title as text, never as a Slack mention or link', async () => {
    expect(await runJob(t.deps, detectSpikesJob, new Date('2026-02-23T06:00:00Z'))).toBe(
      'succeeded',
    );
    expect(slack.messages).toHaveLength(1);
    const text = slack.messages[0]?.text ?? '';
    expect(text).toContain(
      '*Login &lt;!channel&gt; &lt;https://evil.example|Sign in again&gt; &amp; more* spiked',
    );
    expect(text).toContain('Release &lt;!here&gt; (');
    expect(text).not.toMatch(/<!|<https?:/);
  });
});
