import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import type { EmailSettings } from '../../../src/db/schema';
import { recipientSendTime } from '../../../src/modules/email/delivery/send-time';
import { createCampaign } from '../../helpers/campaigns';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const NY = 'America/New_York';
// 2027-03-14: New York springs forward, 02:00 EST becomes 03:00 EDT (07:00Z); 02:00–02:59 never
// happens. 2027-11-07: it falls back, 02:00 EDT becomes 01:00 EST (06:00Z); 01:00–01:59 happens
// twice, first as EDT (05:00Z–05:59Z) and then as EST (06:00Z–06:59Z).
const settings = (fields: Partial<EmailSettings>): EmailSettings => ({
  template: 'announcement',
  subject: null,
  send_at: null,
  before_event: null,
  local_time: null,
  send_window: null,
  ...fields,
});
const at = (
  fields: Partial<EmailSettings>,
  reference: string,
  now = '2027-01-01T00:00:00Z',
  zone = NY,
) => recipientSendTime(settings(fields), new Date(reference), zone, new Date(now)).toISOString();

describe('send times across daylight saving changes', () => {
  it('moves a local time that does not exist forward by the gap, as RFC 5545 does', () => {
    expect(at({ local_time: '02:30' }, '2027-03-14T06:50:00Z')).toBe('2027-03-14T07:30:00.000Z');
    expect(at({ local_time: '02:00' }, '2027-03-14T06:50:00Z')).toBe('2027-03-14T07:00:00.000Z');
    // Times either side of the gap are untouched.
    expect(at({ local_time: '01:59' }, '2027-03-14T06:50:00Z')).toBe('2027-03-14T06:59:00.000Z');
    expect(at({ local_time: '03:00' }, '2027-03-14T06:50:00Z')).toBe('2027-03-14T07:00:00.000Z');
  });

  it('opens a send window that starts in the gap when the clock reaches it, never before the send time', () => {
    const window = { send_window: { from: '02:00', to: '04:00' } };
    expect(at(window, '2027-03-14T06:50:00Z')).toBe('2027-03-14T07:00:00.000Z');
    // Past the window the day before: the next opening is the gap day's, moved to 03:00 EDT.
    expect(at(window, '2027-03-13T10:00:00Z')).toBe('2027-03-14T07:00:00.000Z');
    // Inside the window already (03:10 EDT): at once.
    expect(at(window, '2027-03-14T07:10:00Z')).toBe('2027-03-14T07:10:00.000Z');
  });

  it('takes the first of a local time that happens twice', () => {
    expect(at({ local_time: '01:30' }, '2027-11-07T12:00:00Z')).toBe('2027-11-07T05:30:00.000Z');
    expect(at({ local_time: '00:30' }, '2027-11-07T12:00:00Z')).toBe('2027-11-07T04:30:00.000Z');
    expect(at({ local_time: '02:30' }, '2027-11-07T12:00:00Z')).toBe('2027-11-07T07:30:00.000Z');
  });

  it('never opens a send window before the send time when its opening happens twice', () => {
    const window = { send_window: { from: '01:30', to: '01:45' } };
    // 01:10 EST, the second 01:10: the first 01:30 (05:30Z) is past, the second (06:30Z) is not.
    expect(at(window, '2027-11-07T06:10:00Z')).toBe('2027-11-07T06:30:00.000Z');
    // 01:50 EDT, after the first window: it opens again at 01:30 EST.
    expect(at(window, '2027-11-07T05:50:00Z')).toBe('2027-11-07T06:30:00.000Z');
    // 01:50 EST, after both: the next day's 01:30 EST.
    expect(at(window, '2027-11-07T06:50:00Z')).toBe('2027-11-08T06:30:00.000Z');
    // 00:50 EDT, before both: the first.
    expect(at(window, '2027-11-07T04:50:00Z')).toBe('2027-11-07T05:30:00.000Z');
  });

  it('never schedules a window send before the send time in zones with other transitions', () => {
    // Lord Howe springs forward by 30 minutes at 02:00 (2027-10-03): 02:00–02:29 never happens.
    const lordHowe = (reference: string) =>
      at(
        { send_window: { from: '02:15', to: '05:00' } },
        reference,
        undefined,
        'Australia/Lord_Howe',
      );
    const before = '2027-10-02T15:20:00Z'; // 01:50 LHST (+10:30)
    expect(lordHowe(before)).toBe('2027-10-02T15:45:00.000Z'); // 02:45 LHDT (+11)
    expect(new Date(lordHowe(before)).getTime()).toBeGreaterThanOrEqual(new Date(before).getTime());
  });
});

describe('email send times across daylight saving changes, through the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate campaigns, accounts, events cascade`);
    t.clock.set('2027-03-01T00:00:00Z');
    const response = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'tz-ny', time_zone: NY, contacts: [{ email: 'ny@example.com', name: 'NY' }] },
        ],
      },
    });
    expect(response.status).toBeLessThan(300);
  });
  const scheduledFor = async (email: Record<string, unknown>) => {
    const campaign = await createCampaign(t, {
      channels: ['email'],
      title: 'tz',
      body: 'b',
      audience: { type: 'accounts', account_ids: ['tz-ny'] },
      email,
    });
    const [row] = rowsOf<{ scheduled_for: Date | string }>(
      await t.deps.db.execute(
        sql`select scheduled_for from email_deliveries where campaign_id = ${campaign.id}`,
      ),
    );
    return new Date(row?.scheduled_for ?? 0).toISOString();
  };

  it('sends a window opening in the spring-forward gap at 03:00 EDT, not 50 minutes before send_at', async () => {
    expect(
      await scheduledFor({
        send_at: '2027-03-14T06:50:00Z',
        send_window: { from: '02:00', to: '04:00' },
      }),
    ).toBe('2027-03-14T07:00:00.000Z');
  });

  it('sends a local time in the gap at the same distance past it (02:30 → 03:30 EDT)', async () => {
    expect(await scheduledFor({ send_at: '2027-03-14T06:50:00Z', local_time: '02:30' })).toBe(
      '2027-03-14T07:30:00.000Z',
    );
  });

  it('sends a local time that happens twice at its first occurrence, and a window opening after send_at', async () => {
    expect(await scheduledFor({ send_at: '2027-11-07T12:00:00Z', local_time: '01:30' })).toBe(
      '2027-11-07T05:30:00.000Z',
    );
    expect(
      await scheduledFor({
        send_at: '2027-11-07T06:10:00Z',
        send_window: { from: '01:30', to: '04:00' },
      }),
    ).toBe('2027-11-07T06:30:00.000Z');
  });
});
