import { serve } from '@hono/node-server';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDueEmails } from '../../src/modules/email/delivery/send-due-emails';
import { suppressAddress } from '../../src/modules/email/recipients/suppressions.service';
import { refreshVerdicts } from '../../src/modules/spikes/refresh-verdicts';
import { sendStatusEmails } from '../../src/modules/status/subscribers/status-subscriptions.service';
import { collectPolicyRefusals, launchChromium, SCREENSHOT_DIR } from '../helpers/browser';
import { freePort } from '../helpers/free-port';
import { readJson } from '../helpers/read-json';
import { sharedDataHead } from '../helpers/shared-data';
import { startTestApp, type TestApp } from '../helpers/test-app';

const IMPORTED_ROWS = 20_000;
const INCIDENT = 'Checkout errors and a slow dashboard';
const SUBSCRIBER = 'newcomer.reader@example.com';

type OutboxMessage = { to: string; subject: string; html: string; text: string };

/**
 * A newcomer's first day, in a real browser: sign in, import tickets, read the imported
 * period's reasons and spikes, publish an email campaign and follow its deliveries, open an
 * incident on two components, and read it on the public status page as a subscriber would.
 */
describe("a newcomer's day in the console and on the status page", () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let server: ReturnType<typeof serve>;
  let csv: string;

  beforeAll(async () => {
    // The status page's links are absolute (under PUBLIC_URL): serve at the address they name.
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    t = await startTestApp({ env: { PUBLIC_URL: url } });
    server = serve({ fetch: t.app.fetch, port, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    t.clock.set('2026-03-02T06:00:00Z');
    csv = await sharedDataHead(IMPORTED_ROWS);
    // What a product backend sends before anyone opens the console: its accounts.
    const zones = ['Asia/Tokyo', 'Europe/Berlin', 'America/Los_Angeles'];
    const accounts = Array.from({ length: 9 }, (_, i) => ({
      id: `shop-${i + 1}`,
      plan: i < 6 ? 'pro' : 'free',
      time_zone: zones[i % 3],
      components: i % 2 === 0 ? ['Checkout'] : ['Dashboard'],
      contacts: [{ email: `owner${i + 1}@shop.example`, name: `Owner ${i + 1}` }],
    }));
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
    await suppressAddress(t.deps, 'owner4@shop.example', 'bounced', null);
    for (const name of ['Checkout', 'Dashboard', 'Webhooks']) {
      await t.request('/v1/status/components', { method: 'POST', json: { name } });
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await t?.close();
  });

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${SCREENSHOT_DIR}/newcomer-${name}.png`, fullPage: true });
  const outbox = async (): Promise<OutboxMessage[]> =>
    (await readJson(await t.request('/v1/outbox?limit=200'))).data;
  /** What a reader sees, cells and lines apart (Playwright's innerText, not the DOM's). */
  // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, laid-out text wanted
  const seen = (locator: Locator) => locator.innerText();
  const text = (page: Page) => seen(page.locator('main'));

  it('signs in, imports, reads reasons and spikes, sends an email campaign, opens an incident and follows it as a subscriber', async () => {
    // The newcomer works from Berlin: the console shows times in their zone.
    const context = await browser.newContext({ timezoneId: 'Europe/Berlin', locale: 'en-GB' });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    // Every page, the email preview's frame included, loads all it needs under its policy.
    const refused: string[] = [];
    collectPolicyRefusals(page, refused);

    // Sign in with the key forestall printed at first start.
    await page.goto(`${url}/`);
    await page.getByLabel('API key').fill(t.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await shot(page, '01-overview');

    // Import a slice of a real ticket log through the console: the empty overview leads there.
    await page.getByRole('link', { name: 'Import a ticket history' }).click();
    await page.getByLabel('File', { exact: true }).setInputFiles({
      name: 'tickets.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByLabel('Source').fill('nyc-council');
    await page.getByLabel('A bad row').selectOption('skip');
    await shot(page, '02-import');
    // Once sent, the button is disabled and says so: a second click sends nothing.
    const sent = await page.evaluate<{ disabled: boolean; label: string }>(`(() => {
      const button = document.querySelector('form[data-pending] button');
      button.click();
      button.click();
      return { disabled: button.disabled, label: button.textContent };
    })()`);
    expect(sent).toEqual({ disabled: true, label: 'Importing…' });
    // The import runs in the background; its page follows it until it is done.
    await page.waitForURL(/\/console\/import\/runs\//);
    await page.getByRole('heading', { name: 'Imported tickets.csv' }).waitFor();
    expect(await text(page)).toContain(`Imported ${IMPORTED_ROWS.toLocaleString('en')} rows`);
    await shot(page, '02-imported');
    expect(await page.getByRole('link', { name: 'Contact reasons in those weeks' }).count()).toBe(
      1,
    );
    // One import for the two clicks, listed on the import page.
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Import' })
      .click();
    expect(await text(page)).toMatch(/tickets\.csv\s+\S.*\s+done: [\d,]+ rows/);
    expect((await text(page)).match(/tickets\.csv/g)?.length).toBe(1);
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Contact reasons' })
      .click();

    // The imported period shows without typing a date. The slice's last tickets are stragglers
    // after its usual volume: the view ends where that volume does, and says what came after.
    const lastDay = csv
      .match(/"(\d{4}-\d{2}-\d{2})"/g)
      ?.map((d) => d.slice(1, 11))
      .sort()
      .at(-1);
    expect(lastDay).toBe('2025-01-09');
    const reasons = await text(page);
    const usualEnd = /Ending at the last week of usual volume \((\d{4}-\d\d-\d\d)\)\./.exec(
      reasons,
    )?.[1];
    expect(usualEnd).toMatch(/^202[34]-/);
    expect(reasons).toMatch(
      new RegExp(
        `After the week of ${usualEnd}, contacts fall to about \\d+ a week \\(\\d+ in \\d+ weeks, up to 2025-01-06\\)`,
      ),
    );
    await page.getByRole('link', { name: 'Show the weeks after it' }).waitFor();
    expect(reasons).toContain('Housing and Buildings');
    expect(await page.locator('figure.chart svg').count()).toBeGreaterThan(0);
    await shot(page, '03-reasons');

    await t.settle();
    // The refresh-spikes job (every minute under cron) fits the imported history.
    expect((await refreshVerdicts(t.deps)).reasons).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'Spikes' }).click();
    await page.getByRole('heading', { name: 'Spikes' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'To' }).inputValue()).toBe(usualEnd);
    const spikes = await text(page);
    expect(spikes).not.toContain('No verdicts yet');
    expect(spikes).toMatch(/Verdicts cover weeks up to 2025-01-/);
    await shot(page, '04-spikes');
    // The weeks before may be quiet: step back, by clicks, to the slice's spikes.
    const spikeRows = page.locator('#spikes-h ~ .table-scroll table tbody tr');
    for (let step = 0; step < 8 && (await spikeRows.count()) === 0; step++) {
      await page.getByRole('link', { name: /weeks earlier$/ }).click();
      await page.getByRole('heading', { name: 'Spikes' }).waitFor();
    }
    expect(await spikeRows.count()).toBeGreaterThan(0);
    const firstSpike = await seen(spikeRows.first());
    expect(firstSpike).toMatch(/^20\d\d-\d\d-\d\d\t/);
    expect(firstSpike).toMatch(/no known event|%\)/);
    await shot(page, '04b-spikes-earlier');

    // An email campaign for pro accounts, at 09:00 in each recipient's zone.
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('checkbox', { name: 'Banner in the product' }).uncheck();
    await page.getByRole('checkbox', { name: 'Email' }).check();
    await page.getByLabel('Title').fill('New prices for {{plan}} plans');
    await page.getByLabel('Body').fill('Hello {{name}}, prices change on **April 1**.');
    await page.getByLabel('Who sees it').selectOption('rule');
    await page.getByLabel('Attribute').first().selectOption('plan');
    await page.getByLabel('Condition').first().selectOption('eq');
    await page.getByLabel('Value').first().fill('pro');
    await page.getByLabel("At this time in each recipient's zone").fill('09:00');
    await Promise.all([
      page.waitForURL(/\/console\/campaigns\/[0-9a-f-]{36}\?done=/),
      page.getByRole('button', { name: 'Publish' }).click(),
    ]);
    expect(await text(page)).toMatch(/Accounts in the audience now\s+6\n/);
    await shot(page, '05-campaign');

    await page
      .getByRole('link', { name: 'Preview per recipient, send times and delivery states' })
      .click();
    await page.getByRole('heading', { name: /: email$/ }).waitFor();
    const preview = page.frameLocator('iframe[title="Email preview"]');
    const firstRecipient = await page.getByLabel('Account').inputValue();
    const ownerNumber = firstRecipient.replace('shop-', '');
    await preview.getByText(`Hello Owner ${ownerNumber}, prices change on`).waitFor();
    expect(await seen(preview.locator('body'))).not.toContain('{{');
    expect(await text(page)).toContain('subject New prices for pro plans');
    expect(await page.getByRole('link', { name: 'queued (5)' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'suppressed (1)' }).count()).toBe(1);
    await shot(page, '06-email-preview');

    // Another recipient, chosen by account: their own name, their own 09:00.
    await page.getByLabel('Account').fill('shop-2');
    await page.getByRole('button', { name: 'Preview' }).click();
    await preview.getByText('Hello Owner 2, prices change on').waitFor();
    // 08:00 UTC, shown in the reader's zone: 09:00 in Berlin.
    expect(await text(page)).toContain('planned for 2 Mar 2026, 09:00 CET');

    // The sender runs: Tokyo's and Los Angeles' are due now; Berlin's at 09:00 there.
    expect((await sendDueEmails(t.deps)).sent).toBe(3);
    await page.reload();
    expect(await page.getByRole('link', { name: 'sent (3)' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'queued (2)' }).count()).toBe(1);
    const states = await text(page);
    expect(states).toContain('2026-03-02 09:00 Europe/Berlin');
    expect(states).toMatch(/owner4@shop\.example\s+bounced/);
    await page.getByRole('link', { name: 'sent (3)' }).click();
    expect(await page.locator('#deliveries-h ~ .table-scroll table tbody tr').count()).toBe(3);
    await shot(page, '07-email-deliveries');

    // An incident: checkout down, dashboard only slow.
    await page.getByRole('link', { name: 'Status' }).click();
    await page.getByLabel('What is wrong').fill(INCIDENT);
    await page.getByLabel('Message').first().fill('Payments fail for some shops.');
    await page.getByLabel('Impact').selectOption('major');
    await page.getByRole('checkbox', { name: 'Checkout' }).first().check();
    await page.getByLabel('Their status').selectOption('major_outage');
    await page.getByText('Give a component its own status').click();
    await page.getByLabel('Dashboard status').selectOption('degraded_performance');
    await Promise.all([
      page.waitForURL(/\/console\/status\?done=/),
      page.getByRole('button', { name: 'Open incident and notify affected accounts' }).click(),
    ]);
    expect(await text(page)).toContain(`Opened "${INCIDENT}".`);
    const components = await seen(page.locator('#components-h ~ .table-scroll table'));
    expect(components).toMatch(/Checkout\s+Major outage/);
    expect(components).toMatch(/Dashboard\s+Degraded performance/);
    expect(components).toMatch(/Webhooks\s+Operational/);
    await shot(page, '08-console-status');

    // Ninety minutes later, a reader opens the public status page: uptime bars, the
    // incident's own page, a subscription.
    t.clock.set('2026-03-02T07:30:00Z');
    const reader = await browser.newPage();
    collectPolicyRefusals(reader, refused);
    await reader.goto(`${url}/status`);
    const bars = reader.locator('figure.uptime');
    expect(await bars.count()).toBe(3);
    expect(await bars.first().getAttribute('aria-label')).toBe(
      'Checkout: new since 2026-03-02; uptime shown after a full day',
    );
    expect(await bars.nth(0).locator('li').last().getAttribute('class')).toBe('d-major_outage');
    expect(await bars.nth(1).locator('li').last().getAttribute('class')).toBe(
      'd-degraded_performance',
    );
    expect(await bars.nth(2).locator('li').last().getAttribute('class')).toBe('d-operational');
    expect(await seen(reader.locator('body'))).toContain(INCIDENT);
    await shot(reader, '09-status-page');
    await Promise.all([
      reader.waitForURL(/\/status\/incidents\/[0-9a-f-]{36}$/),
      reader.getByRole('link', { name: INCIDENT }).click(),
    ]);
    const incidentPage = await seen(reader.locator('body'));
    expect(incidentPage).toContain('Payments fail for some shops.');
    await shot(reader, '10-incident-page');

    await reader.goto(`${url}/status`);
    await reader.getByLabel('Get an email for every update').fill(SUBSCRIBER);
    await reader.getByRole('button', { name: 'Subscribe' }).click();
    expect(await seen(reader.locator('body'))).toContain('Almost there');
    await sendStatusEmails(t.deps);
    const optIn = (await outbox()).find((m) => m.to === SUBSCRIBER);
    expect(optIn?.subject).toMatch(/^Confirm status updates/);
    const confirm = optIn?.text.match(
      /http:\/\/[^\s)\]]+\/status\/subscriptions\/confirm\/\S+/,
    )?.[0];
    expect(confirm).toBeDefined();
    await reader.goto(confirm ?? '');
    await reader.getByRole('button', { name: 'Confirm' }).click();
    expect(await seen(reader.locator('body'))).toContain('You are subscribed');
    await shot(reader, '11-subscribed');

    // Ops post the next update; the subscriber's email is in the outbox.
    await page.goto(`${url}/console/status`);
    const incident = page.getByRole('article').filter({ hasText: INCIDENT });
    expect(await incident.getByLabel('New state').inputValue()).toBe('identified');
    await incident
      .getByLabel('Update')
      .fill('A faulty payment-provider certificate; replacing it.');
    await Promise.all([
      page.waitForURL(/\/console\/status\?done=/),
      incident.getByRole('button', { name: 'Post update' }).click(),
    ]);
    await sendStatusEmails(t.deps);
    const update = (await outbox()).find(
      (m) => m.to === SUBSCRIBER && m.text.includes('faulty payment-provider certificate'),
    );
    expect(update?.subject).toContain(INCIDENT);
    expect(refused).toEqual([]);
    await reader.setContent(update?.html ?? '');
    await shot(reader, '12-update-email');
    await reader.close();
    await context.close();
  });
});
