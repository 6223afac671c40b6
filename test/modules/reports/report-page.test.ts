import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../../helpers/console-client';
import { readJson } from '../../helpers/read-json';
import { seedReportData } from '../../helpers/report-data';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PERIOD = 'from=2026-01-05&to=2026-03-15';
const dollars = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD' });
const money = (cents: number) => dollars.format(cents / 100);
/** "$1,234.56" or "-$12.00" back to cents. */
const cents = (shown: string) => Math.round(Number(shown.replace(/[$,]/g, '')) * 100);

/** The page's text as a reader sees it (hono escapes quotes and ampersands). */
const asRead = (html: string) =>
  html
    .replaceAll('&#39;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

/** The cells of each body row of the table that follows `heading` (or has it as caption). */
function tableRows(markup: string, heading: string): string[][] {
  const start = markup.indexOf(heading);
  expect(start, heading).toBeGreaterThan(-1);
  const table = markup.slice(start).match(/<tbody>([\s\S]*?)<\/tbody>/)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) =>
      (cell[1] ?? '').replace(/<[^>]+>/g, '').trim(),
    ),
  );
}

describe('the report page', () => {
  let t: TestApp;
  let analystKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    await seedReportData(t);
    analystKey = await t.keyFor('analyst');
  }, 120_000);
  afterAll(() => t.close());

  const get = async (query: string, format: 'json' | 'html') => {
    const response = await t.request(`/v1/reports/prevented-contacts?${query}&format=${format}`, {
      key: analystKey,
    });
    expect(response.status).toBe(200);
    return format === 'json' ? readJson(response) : asRead(await response.text());
  };

  it('shows money in the workspace currency', async () => {
    const report = await get(PERIOD, 'json');
    const markup: string = await get(PERIOD, 'html');
    expect(markup).toContain(`cost per ticket ${money(900)}`);
    expect(markup).toContain(`<b>${money(report.totals.savings_cents.estimate)}</b>`);
    const saved = tableRows(markup, '<h2>Weeks</h2>').map((cells) => cells.at(-1) ?? '');
    expect(saved).toHaveLength(report.weeks.length);
    for (const cell of saved) expect(cell).toMatch(/^-?\$\d[\d,]*\.\d\d$/);
    // The savings chart's axis reads in money too.
    expect(markup).toContain('Savings per week and running total (USD)');
    expect(markup).toMatch(/<text[^>]*>\$[1-9][\d,]*<\/text>/);
  });

  it("adds the weekly rows up to the headline, naming what the weeks don't cover", async () => {
    const report = await get(PERIOD, 'json');
    const markup: string = await get(PERIOD, 'html');
    const weeks = tableRows(markup, '<h2>Weeks</h2>');
    const parts = tableRows(markup, 'From the weekly rows to the headline');
    expect(parts.map((cells) => cells[0])).toEqual([
      'Weeks of this period (the rows above)',
      "Weeks of the campaigns' measurement windows outside this period",
      "Adjustment for each account's contacts before exposure, and rounding",
      'Total: the headline',
    ]);
    const savedOf = (cells: string[] | undefined) => cents(cells?.at(-1) ?? 'NaN');
    const weeksTotal = weeks.reduce((sum, cells) => sum + savedOf(cells), 0);
    expect(savedOf(parts[0])).toBe(weeksTotal);
    const [inPeriod, outside, adjustment, total] = parts.map(savedOf);
    expect(total).toBe(report.totals.savings_cents.estimate);
    expect((inPeriod ?? 0) + (outside ?? 0) + (adjustment ?? 0)).toBe(total);
    // The campaign's window runs to 23 March, past the period: the held-out accounts' contacts
    // of 17 March are prevented contacts the period's weeks cannot show.
    expect(outside).toBeGreaterThan(0);
    expect(weeksTotal).not.toBe(total);
  });

  it('says nothing was measured instead of charting zeros', async () => {
    const before = 'from=2026-01-05&to=2026-02-01';
    const report = await get(before, 'json');
    expect(report.totals.contacts).toBeGreaterThan(0);
    expect(report.campaigns).toEqual([]);
    const markup: string = await get(before, 'html');
    expect(markup.match(/<svg/g)).toHaveLength(1);
    expect(markup).toContain('Contacts per week, by reason');
    expect(markup).toContain(
      "No savings to chart: no published campaign's measurement window touches 2026-01-05 to 2026-02-01.",
    );
    expect(markup).not.toContain('From the weekly rows to the headline');

    const empty: string = await get('from=2025-06-02&to=2025-06-29', 'html');
    expect(empty).not.toContain('<svg');
    expect(empty).toContain('No contacts between 2025-06-02 and 2025-06-29');
  });

  it('answers a day that does not exist in the console with a 400, not a 500', async () => {
    const analyst = consoleClient(t);
    await analyst.signIn(analystKey);
    // Well formed, but February has no 30th: the API's schema refuses it, the console's
    // period form must too.
    const page = await analyst.get('/console/reports?from=2026-02-30&to=2026-03-15');
    expect(page.status).toBe(400);
    expect(asRead(await page.text())).toContain('2026-02-30 is not a day of the calendar');
    const backwards = await analyst.get('/console/reports?from=2026-03-01&to=2026-04-31');
    expect(backwards.status).toBe(400);
    const csv = await analyst.get('/console/reports.csv?from=2026-02-30');
    expect(csv.status).toBe(400);
  });
});
