import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSpikesJob } from '../../../src/modules/jobs/definitions/detect-spikes.job';
import { runJob } from '../../../src/modules/jobs/run-job';
import { startFakeSlack } from '../../helpers/fake-slack';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll, ticket } from '../../helpers/tickets';

// What tickets and calendars bring, written as Slack would read markup: a mention and a link.
const REASON = 'Login <!channel> <https://evil.example|Sign in again> & more';
const EVENT = 'Release <!here>';

describe('the Slack message of a spike', () => {
  let t: TestApp;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;

  beforeAll(async () => {
    slack = await startFakeSlack();
    t = await startTestApp({ env: { SLACK_WEBHOOK_URL: slack.url } });
    // 40 weeks of about 20 contacts a week for the reason, then 70 in the week of 2026-02-16.
    const tickets = [];
    let id = 0;
    for (let week = 0; week < 41; week++) {
      const monday = Date.UTC(2025, 4, 12) + week * 7 * 86_400_000;
      const count = week === 40 ? 70 : 18 + (week % 5);
      for (let i = 0; i < count; i++) {
        tickets.push(
          ticket(id++, {
            reason: REASON,
            account_id: `acct-${id}`,
            created_at: new Date(monday + (i % 5) * 86_400_000 + 3_600_000).toISOString(),
          }),
        );
      }
    }
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
