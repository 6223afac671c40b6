import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { createCampaign } from '../helpers/campaigns';
import { consoleClient } from '../helpers/console-client';
import { readJson } from '../helpers/read-json';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('editing a campaign someone else saved meanwhile, in the console', () => {
  let t: TestApp;
  let opsKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops');
  });
  afterAll(() => t.close());

  const stored = async (id: string) =>
    rowsOf<Record<string, unknown>>(
      await t.deps.db.execute(sql`select * from campaigns where id = ${id}`),
    )[0];
  const hiddenVersion = (markup: string) =>
    /<input type="hidden" name="version" value="(\d+)"/.exec(markup)?.[1];

  it('keeps what was typed, says the campaign changed since the form was opened, and saves nothing', async () => {
    const campaign = await createCampaign(
      t,
      {
        channels: ['banner'],
        title: 'Invoices delayed',
        body: 'Invoices arrive a day late.',
        publish: false,
      },
      { key: opsKey },
    );
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const form = await (await browser.get(`/console/campaigns/${campaign.id}/edit`)).text();
    expect(hiddenVersion(form)).toBe(String(campaign.version));

    // A colleague saves first, from a script.
    const theirs = await t.request(`/v1/campaigns/${campaign.id}`, {
      method: 'PATCH',
      key: opsKey,
      json: { body: 'Invoices arrive two days late.' },
    });
    expect(theirs.status).toBe(200);
    const before = await stored(campaign.id);

    const fields = {
      _csrf: browser.csrfOf(form),
      version: hiddenVersion(form) ?? '',
      channels: 'banner',
      title: 'Invoices delayed by a day',
      body: 'Invoices arrive a day late; sorry.',
      severity: 'info',
      audience_type: 'all',
      holdout_percent: '0',
      action: 'save',
    };
    const refused = await browser.post(`/console/campaigns/${campaign.id}/edit`, fields);
    expect(refused.status).toBe(409);
    const markup = await refused.text();
    expect(markup).toContain('changed since you opened it');
    expect(markup).toContain(`href="/console/campaigns/${campaign.id}/edit"`);
    expect(markup).toContain('value="Invoices delayed by a day"');
    expect(markup).toContain('Invoices arrive a day late; sorry.');
    expect(await stored(campaign.id)).toEqual(before);

    // The form now carries the version it was refused against: saving it again, once told,
    // replaces the colleague's change on purpose.
    const current = (await readJson(theirs)).version;
    expect(hiddenVersion(markup)).toBe(String(current));
    const saved = await browser.post(`/console/campaigns/${campaign.id}/edit`, {
      ...fields,
      _csrf: browser.csrfOf(markup),
      version: hiddenVersion(markup) ?? '',
    });
    expect(saved.status).toBe(303);
    expect(await stored(campaign.id)).toMatchObject({
      title: 'Invoices delayed by a day',
      body_markdown: 'Invoices arrive a day late; sorry.',
      version: current + 1,
    });
  });

  it('publishes nothing when Publish is pressed on a page shown before someone else’s change, and says so', async () => {
    const campaign = await createCampaign(
      t,
      { channels: ['banner'], title: 'Price change', publish: false },
      { key: opsKey },
    );
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const page = await (await browser.get(`/console/campaigns/${campaign.id}`)).text();
    expect(hiddenVersion(page)).toBe(String(campaign.version));

    // A colleague changes the draft while the page is open.
    const theirs = await t.request(`/v1/campaigns/${campaign.id}`, {
      method: 'PATCH',
      key: opsKey,
      json: { title: 'Price change (legacy plans only)' },
    });
    expect(theirs.status).toBe(200);
    const before = await stored(campaign.id);

    const press = (markup: string) =>
      browser.post(`/console/campaigns/${campaign.id}/status`, {
        _csrf: browser.csrfOf(markup),
        status: 'scheduled',
        version: hiddenVersion(markup) ?? '',
      });
    const refused = await press(page);
    expect(refused.status).toBe(409);
    const markup = await refused.text();
    expect(markup).toContain('Nothing changed: the campaign was not published.');
    expect(markup).toContain('Price change (legacy plans only)');
    expect(await stored(campaign.id)).toEqual(before);

    // The page shown with the refusal is the campaign as it is now: pressed there, it publishes.
    expect(hiddenVersion(markup)).toBe(String((await readJson(theirs)).version));
    expect((await press(markup)).status).toBe(303);
    expect((await stored(campaign.id))?.published_at).not.toBeNull();
  });

  it('refuses a version that is not one with 400, and saves nothing', async () => {
    const campaign = await createCampaign(
      t,
      { channels: ['banner'], title: 'Untouched', publish: false },
      { key: opsKey },
    );
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const form = await (await browser.get(`/console/campaigns/${campaign.id}/edit`)).text();
    const before = await stored(campaign.id);
    const refused = await browser.post(`/console/campaigns/${campaign.id}/edit`, {
      _csrf: browser.csrfOf(form),
      version: '1e3',
      channels: 'banner',
      title: 'Touched',
      severity: 'info',
      audience_type: 'all',
      holdout_percent: '0',
      action: 'save',
    });
    expect(refused.status).toBe(400);
    expect(await stored(campaign.id)).toEqual(before);
  });
});
