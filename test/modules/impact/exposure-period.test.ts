import { asc, getTableColumns, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaigns, emailDeliveries } from '../../../src/db/schema';
import {
  exposedBefore,
  exposedPast,
  exposureColumns,
  exposurePeriod,
  exposureStartSql,
} from '../../../src/modules/impact/exposure-period';
import { exposureView } from '../../../src/modules/impact/exposure-view';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const d = (iso: string) => new Date(iso);

/** Campaigns as they are stored, one per way a campaign comes to reach accounts (or not). */
const CASES = {
  published_before_start: {
    startsAt: d('2026-03-02T09:00:00Z'),
    endsAt: d('2026-03-09T09:00:00Z'),
    publishedAt: d('2026-03-01T12:00:00Z'),
    cancelledAt: null,
  },
  // Created at 14:00 with a start of 09:00 the same day: nothing was shown before 14:00.
  back_dated: {
    startsAt: d('2026-03-02T09:00:00Z'),
    endsAt: d('2026-03-09T09:00:00Z'),
    publishedAt: d('2026-03-02T14:00:00Z'),
    cancelledAt: null,
  },
  back_dated_open_ended: {
    startsAt: d('2026-02-23T09:00:00Z'),
    endsAt: null,
    publishedAt: d('2026-03-02T14:00:00Z'),
    cancelledAt: null,
  },
  // Its heads-up emails went out at 09:05 and 09:30; cancelled at 10:00, weeks before its start.
  cancelled_after_email: {
    startsAt: d('2026-04-13T09:00:00Z'),
    endsAt: null,
    publishedAt: d('2026-03-04T09:00:00Z'),
    cancelledAt: d('2026-03-06T10:00:00Z'),
  },
  // Its heads-up emails went out at 09:05 and 09:30, a week before its banner's start.
  emailed_before_start: {
    startsAt: d('2026-03-13T09:00:00Z'),
    endsAt: d('2026-03-14T09:00:00Z'),
    publishedAt: d('2026-03-04T09:00:00Z'),
    cancelledAt: null,
  },
  cancelled_before_email: {
    startsAt: d('2026-04-13T09:00:00Z'),
    endsAt: d('2026-04-20T09:00:00Z'),
    publishedAt: d('2026-03-04T09:00:00Z'),
    cancelledAt: d('2026-03-06T10:00:00Z'),
  },
  draft: {
    startsAt: d('2026-03-02T09:00:00Z'),
    endsAt: d('2026-03-09T09:00:00Z'),
    publishedAt: null,
    cancelledAt: null,
  },
} as const;
type Case = keyof typeof CASES;

const SENT = [d('2026-03-06T09:30:00Z'), d('2026-03-06T09:05:00Z'), null];

/**
 * The exposure period is one rule (`exposurePeriod`) read in TypeScript by the impact API and
 * the report, and in SQL by the report's choice of campaigns: both must say the same of every
 * kind of campaign, back-dated and cancelled after its email went out included.
 */
describe('the exposure period, in TypeScript and in SQL', () => {
  let t: TestApp;
  const ids = {} as Record<Case, string>;
  beforeAll(async () => {
    t = await startTestApp();
    for (const [name, columns] of Object.entries(CASES) as [Case, (typeof CASES)[Case]][]) {
      ids[name] = uuidv7();
      await t.deps.db.insert(campaigns).values({
        id: ids[name],
        channels: ['email'],
        title: name,
        bodyMarkdown: 'Invoices move to the 9th.',
        bodyHtml: '<p>Invoices move to the 9th.</p>',
        severity: 'info',
        audience: { type: 'all' },
        createdBy: 'test',
        ...columns,
      });
    }
    const emailed = ['cancelled_after_email', 'emailed_before_start'] as const;
    await t.deps.db.insert(emailDeliveries).values(
      emailed
        .flatMap((name) => SENT.map((sentAt, i) => ({ name, sentAt, i })))
        .map(({ name, sentAt, i }) => ({
          id: uuidv7(),
          campaignId: ids[name],
          accountId: `a-${i}`,
          email: `person${i}@example.com`,
          timeZone: 'UTC',
          planId: uuidv7(),
          status: sentAt ? ('sent' as const) : ('cancelled' as const),
          scheduledFor: d('2026-03-06T09:00:00Z'),
          idempotencyKey: `${name}-${i}`,
          sentAt,
          updatedAt: d('2026-03-06T10:00:00Z'),
        })),
    );
  });
  afterAll(() => t.close());

  const rows = () =>
    t.deps.db
      .select({
        ...getTableColumns(campaigns),
        ...exposureColumns,
        sqlStart: sql<Date | null>`${exposureStartSql}`.mapWith(campaigns.startsAt),
      })
      .from(campaigns)
      .orderBy(asc(campaigns.id));

  it('starts a back-dated campaign at its publication, and one emailed before its start at that email', async () => {
    const byName = new Map((await rows()).map((row) => [row.title, row]));
    const period = (name: Case) => {
      const row = byName.get(name);
      if (!row) throw new Error(`no campaign ${name}`);
      return exposurePeriod(row);
    };
    expect(period('published_before_start')).toEqual({
      start: d('2026-03-02T09:00:00Z'),
      end: d('2026-03-09T09:00:00Z'),
      from: 'start',
    });
    expect(period('back_dated')).toEqual({
      start: d('2026-03-02T14:00:00Z'),
      end: d('2026-03-09T09:00:00Z'),
      from: 'publication',
    });
    expect(period('back_dated_open_ended')).toEqual({
      start: d('2026-03-02T14:00:00Z'),
      end: null,
      from: 'publication',
    });
    expect(period('cancelled_after_email')).toEqual({
      start: d('2026-03-06T09:05:00Z'),
      end: d('2026-03-06T10:00:00Z'),
      from: 'first_email',
    });
    expect(period('emailed_before_start')).toEqual({
      start: d('2026-03-06T09:05:00Z'),
      end: d('2026-03-14T09:00:00Z'),
      from: 'first_email',
    });
    expect(period('cancelled_before_email')).toEqual({
      start: d('2026-03-06T10:00:00Z'),
      end: d('2026-03-06T10:00:00Z'),
      from: 'cancellation',
    });
    expect(period('draft')).toEqual({
      start: d('2026-03-02T09:00:00Z'),
      end: d('2026-03-09T09:00:00Z'),
      from: 'start',
    });
  });

  it('is the same in SQL: its start, and the campaigns exposed before and past every instant', async () => {
    const all = await rows();
    expect(all).toHaveLength(Object.keys(CASES).length);
    for (const row of all) {
      expect(row.sqlStart, row.title).toEqual(exposurePeriod(row).start);
    }
    // Each instant the rule turns on, a minute either side, and the instant itself.
    const turns = all.flatMap((row) =>
      [row.startsAt, row.endsAt, row.publishedAt, row.cancelledAt, ...SENT].flatMap((at) =>
        at ? [at.getTime() - 60_000, at.getTime(), at.getTime() + 60_000] : [],
      ),
    );
    for (const ms of new Set(turns)) {
      const instant = new Date(ms);
      const selected = async (condition: ReturnType<typeof exposedBefore>) =>
        (await t.deps.db.select({ title: campaigns.title }).from(campaigns).where(condition))
          .map((row) => row.title)
          .sort();
      const expected = (test: (period: ReturnType<typeof exposurePeriod>) => boolean) =>
        all
          .filter((row) => test(exposurePeriod(row)))
          .map((row) => row.title)
          .sort();
      expect(await selected(exposedBefore(instant)), `before ${instant.toISOString()}`).toEqual(
        expected(({ start }) => start !== null && start < instant),
      );
      expect(await selected(exposedPast(instant)), `past ${instant.toISOString()}`).toEqual(
        expected(({ end }) => end === null || end > instant),
      );
    }
  });
});

describe('the exposure note', () => {
  const published = (at: string) =>
    exposureView({
      startsAt: d('2026-03-02T09:00:00Z'),
      endsAt: null,
      publishedAt: d(at),
      cancelledAt: null,
      firstEmailAt: null,
    });

  it('measures from publication however late, and says so only past a few minutes', () => {
    // A start typed to the minute in the console and published at once.
    expect(published('2026-03-02T09:00:40Z')).toEqual({
      measured_from: '2026-03-02T09:00:40.000Z',
      ends_at: null,
      note: null,
    });
    expect(published('2026-03-02T12:10:00Z').note).toBe(
      'published 3 hours after its planned start; measured from publication',
    );
  });

  it('measures from an email sent before the start, and says so only past a few minutes', () => {
    const emailed = (at: string) =>
      exposureView({
        startsAt: d('2026-03-09T09:00:00Z'),
        endsAt: d('2026-03-10T09:00:00Z'),
        publishedAt: d('2026-03-02T09:00:00Z'),
        cancelledAt: null,
        firstEmailAt: d(at),
      });
    expect(emailed('2026-03-09T08:57:00Z')).toEqual({
      measured_from: '2026-03-09T08:57:00.000Z',
      ends_at: '2026-03-10T09:00:00.000Z',
      note: null,
    });
    expect(emailed('2026-03-06T09:00:00Z').note).toBe(
      'its email went out 3 days before its planned start; measured from its first email',
    );
    // An email after the start does not move it.
    expect(emailed('2026-03-09T10:00:00Z')).toEqual({
      measured_from: '2026-03-09T09:00:00.000Z',
      ends_at: '2026-03-10T09:00:00.000Z',
      note: null,
    });
  });
});
