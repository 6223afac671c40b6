import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { consolidateExposures } from '../../../src/modules/notices/consolidate-exposures';
import { consoleClient } from '../../helpers/console-client';
import { publishCampaign, resetNotices } from '../../helpers/notices';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

/**
 * Four places ask who is shown a notice: the notices answer, the console's account page that
 * explains it, a dismissal (taken only of a notice the account is shown) and the campaign
 * page's dismissed count. Each account and campaign below is asked of all four, with rules
 * whose reading is easy to get wrong (case, nested and inherited attribute keys, missing
 * values, numbers against text, lists of ids), a holdout, a channel list with email in it and
 * a campaign not started yet.
 */
const ACCOUNTS: ({ id: string } & Record<string, unknown>)[] = [
  {
    id: 'Loud-Pro',
    plan: 'PRO',
    components: ['API', 'Dashboard'],
    attributes: { tier: 'Gold', org: { level: 'High' }, tags: ['Beta'], score: 5 },
  },
  {
    id: 'quiet-free',
    plan: 'free',
    region: 'eu-west',
    components: ['Dashboard'],
    attributes: { tier: 'basic', org: 'flat', score: '5', constructor: 'yes' },
  },
  { id: 'bare' },
  // Enough accounts that a 50% holdout both shows the notice and holds it out.
  ...Array.from({ length: 12 }, (_, i) => ({ id: `filler-${i}` })),
];
const FILLERS = ACCOUNTS.slice(3).map((a) => a.id);

const rule = (condition: Record<string, unknown>) => ({ type: 'rule', all: [condition] });

/** Each campaign's title, its audience and the accounts that audience takes. */
const CAMPAIGNS: { title: string; audience: Record<string, unknown>; takes: string[] }[] = [
  {
    title: 'Plan in capitals',
    audience: rule({ attribute: 'plan', op: 'eq', value: 'pro' }),
    takes: ['Loud-Pro'],
  },
  {
    title: 'Nested attribute',
    audience: rule({ attribute: 'attributes.org.level', op: 'eq', value: 'high' }),
    takes: ['Loud-Pro'],
  },
  {
    title: 'List attribute',
    audience: rule({ attribute: 'attributes.tags', op: 'contains', value: 'BETA' }),
    takes: ['Loud-Pro'],
  },
  {
    title: 'Part of a text',
    audience: rule({ attribute: 'attributes.tier', op: 'contains', value: 'OL' }),
    takes: ['Loud-Pro'],
  },
  {
    title: 'Part of a list item',
    audience: rule({ attribute: 'components', op: 'contains', value: 'dash' }),
    takes: [],
  },
  {
    title: 'Region missing',
    audience: rule({ attribute: 'region', op: 'not_in', value: ['EU-West'] }),
    takes: ['Loud-Pro', 'bare', ...FILLERS],
  },
  {
    title: 'Inherited key',
    audience: rule({ attribute: 'attributes.constructor', op: 'exists' }),
    takes: ['quiet-free'],
  },
  {
    title: 'Number not text',
    audience: rule({ attribute: 'attributes.score', op: 'eq', value: 5 }),
    takes: ['Loud-Pro'],
  },
  {
    title: 'Id in other case',
    audience: rule({ attribute: 'id', op: 'eq', value: 'LOUD-PRO' }),
    takes: ['Loud-Pro'],
  },
  {
    title: 'Listed ids',
    audience: { type: 'accounts', account_ids: ['loud-pro', 'bare'] },
    takes: ['bare'],
  },
];

const VERDICT_TEXT = {
  shown: 'Shown',
  dismissed: 'Dismissed by the account',
  held_out: 'Held out (measurement group)',
  not_in_audience: 'Not in the audience',
} as const;
type Verdict = keyof typeof VERDICT_TEXT;

describe('who is shown a notice', () => {
  let t: TestApp;
  let appKey: string;
  let opsKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    appKey = await t.keyFor('app');
    opsKey = await t.keyFor('ops');
  });
  afterAll(() => t.close());

  it('is decided alike by the notices answer, the console, a dismissal and the dismissed count', async () => {
    await resetNotices(t, ACCOUNTS);
    const banner = { channels: ['banner'], body: 'Body.', severity: 'info', publish: true };
    const live: { id: string; title: string; takes: string[]; holdout: number }[] = [];
    for (const { title, audience, takes } of CAMPAIGNS) {
      const { id } = await publishCampaign(t, { ...banner, title, audience });
      live.push({ id, title, takes, holdout: 0 });
    }
    const measured = {
      title: 'Status and email, half held out',
      channels: ['email', 'status'],
      email: { template: 'announcement', local_time: '09:00' },
      audience: { type: 'all' },
      holdout_percent: 50,
    };
    const halfHeldOut = {
      ...measured,
      id: (await publishCampaign(t, { ...banner, ...measured })).id,
      takes: ACCOUNTS.map((a) => a.id),
      holdout: 50,
    };
    live.push(halfHeldOut);
    const notYet = await publishCampaign(t, {
      ...banner,
      title: 'Not started',
      audience: { type: 'all' },
      starts_at: '2026-03-02T10:00:00Z',
    });

    const expected = (account: string, campaign: (typeof live)[number]): Verdict =>
      !campaign.takes.includes(account)
        ? 'not_in_audience'
        : isHeldOut(campaign.id, account, campaign.holdout)
          ? 'held_out'
          : 'shown';
    const heldOut = ACCOUNTS.filter((a) => expected(a.id, halfHeldOut) === 'held_out');
    expect(heldOut.length).toBeGreaterThan(0);
    expect(heldOut.length).toBeLessThan(ACCOUNTS.length);

    const ops = consoleClient(t);
    await ops.signIn(opsKey);
    const answered = async (account: string) =>
      (await readJson(await t.request(`/v1/accounts/${account}/notices`, { key: appKey })))
        .notices as { id: string }[];
    const explained = async (account: string) => {
      const page = await ops.get(`/console/accounts/${account}`);
      expect(page.status).toBe(200);
      const markup = await page.text();
      const rows = [...markup.matchAll(/">([^<]+)<\/a><\/td><td><span class="pill">([^<]+)</g)];
      return new Map(rows.map(([, title, verdict]) => [title, verdict]));
    };
    const ask = async (dismissedAllShown: boolean) => {
      for (const { id: account } of ACCOUNTS) {
        const verdicts = new Map(
          live.map((c) => {
            const verdict = expected(account, c);
            return [c, verdict === 'shown' && dismissedAllShown ? 'dismissed' : verdict];
          }),
        );
        const shown = live.filter((c) => verdicts.get(c) === 'shown').map((c) => c.id);
        expect((await answered(account)).map((n) => n.id).sort(), account).toEqual(shown.sort());
        const explanation = await explained(account);
        expect(explanation.size, account).toBe(live.length);
        for (const campaign of live) {
          expect(explanation.get(campaign.title), `${account}: ${campaign.title}`).toBe(
            VERDICT_TEXT[verdicts.get(campaign) as Verdict],
          );
        }
      }
    };
    await ask(false);

    const taken = new Map<string, number>(live.map((c) => [c.id, 0]));
    for (const { id: account } of ACCOUNTS) {
      for (const campaign of [
        ...live,
        { ...notYet, title: 'Not started', takes: [], holdout: 0 },
      ]) {
        const answer = await t.request(`/v1/accounts/${account}/notices/${campaign.id}/dismiss`, {
          method: 'POST',
          key: appKey,
        });
        const shown = campaign.id !== notYet.id && expected(account, campaign) === 'shown';
        expect(answer.status, `${account} dismisses ${campaign.title}`).toBe(shown ? 204 : 404);
        if (shown) taken.set(campaign.id, (taken.get(campaign.id) ?? 0) + 1);
      }
    }
    // Every account dismissed all it was shown: the answers are empty now, and the console says why.
    await ask(true);

    await t.deps.notices.exposures.flush();
    await consolidateExposures(t.deps);
    for (const campaign of live) {
      const markup = await (await ops.get(`/console/campaigns/${campaign.id}`)).text();
      const count = /<td>Accounts that dismissed it<\/td><td class="n">(\d+)<\/td>/.exec(markup);
      expect(Number(count?.[1]), campaign.title).toBe(taken.get(campaign.id));
    }
    expect(taken.get(halfHeldOut.id)).toBe(ACCOUNTS.length - heldOut.length);
  });
});
