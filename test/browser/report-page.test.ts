import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyRefusals, launchChromium, SCREENSHOT_DIR } from '../helpers/browser';
import { REPORT_REASONS, seedReportData } from '../helpers/report-data';
import { serveTestApp } from '../helpers/serve-app';
import { startTestApp, type TestApp } from '../helpers/test-app';

type Box = { text: string; left: number; top: number; right: number; bottom: number };

/** Every text drawn in each chart, where Chromium put it, and the chart's own box. */
const chartTexts = (page: Page) =>
  page.$$eval('figure.chart svg', (svgs) =>
    svgs.map((svg) => {
      const frame = svg.getBoundingClientRect();
      const texts = [...svg.querySelectorAll('text')]
        .map((text) => ({ text: text.textContent ?? '', rect: text.getBoundingClientRect() }))
        .filter((t) => t.text.trim() !== '' && t.rect.width > 0)
        .map(({ text, rect }) => ({
          text,
          left: rect.left - frame.left,
          top: rect.top - frame.top,
          right: rect.right - frame.left,
          bottom: rect.bottom - frame.top,
        }));
      return { width: frame.width, height: frame.height, texts };
    }),
  );

const overlap = (a: Box, b: Box) =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
  Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;

describe("the leaders' report in a real browser", () => {
  let t: TestApp;
  let served: Awaited<ReturnType<typeof serveTestApp>>;
  let browser: Browser;
  let analystKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    await seedReportData(t);
    analystKey = await t.keyFor('analyst');
    served = await serveTestApp(t);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await t?.close();
  });

  const open = async (query: string, name: string) => {
    const page = await browser.newPage({
      viewport: { width: 1200, height: 900 },
      extraHTTPHeaders: { authorization: `Bearer ${analystKey}` },
    });
    const refused: string[] = [];
    collectPolicyRefusals(page, refused);
    await page.goto(`${served.url}/v1/reports/prevented-contacts?${query}&format=html`);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/report-${name}.png`, fullPage: true });
    // Nothing the page needs is blocked by its Content-Security-Policy.
    expect(refused).toEqual([]);
    return page;
  };

  it('draws every chart text inside its chart, none over another, the legend above the plot', async () => {
    const page = await open('from=2026-01-05&to=2026-03-15', 'page');
    const charts = await chartTexts(page);
    await page.close();
    expect(charts).toHaveLength(3);
    for (const chart of charts) {
      for (const box of chart.texts) {
        expect(box.left, box.text).toBeGreaterThanOrEqual(0);
        expect(box.top, box.text).toBeGreaterThanOrEqual(0);
        expect(box.right, box.text).toBeLessThanOrEqual(chart.width);
        expect(box.bottom, box.text).toBeLessThanOrEqual(chart.height);
      }
      for (const [i, a] of chart.texts.entries()) {
        for (const b of chart.texts.slice(i + 1)) {
          expect(overlap(a, b), `"${a.text}" over "${b.text}"`).toBe(false);
        }
      }
    }
    // The weekly chart's legend wraps onto rows that all end above its highest y-axis label.
    const weekly = charts[0]?.texts ?? [];
    const legend = weekly.filter((box) => REPORT_REASONS.includes(box.text));
    expect(legend.length).toBeGreaterThanOrEqual(6);
    expect(new Set(legend.map((box) => Math.round(box.top))).size).toBeGreaterThan(1);
    const yLabels = weekly.filter((box) => /^\d+$/.test(box.text) && box.left < 60);
    expect(yLabels.length).toBeGreaterThan(2);
    const plotTop = Math.min(...yLabels.map((box) => box.top));
    expect(Math.max(...legend.map((box) => box.bottom))).toBeLessThan(plotTop);
  });

  it('shows what is missing instead of a chart of zeros when nothing was measured', async () => {
    const page = await open('from=2025-06-02&to=2025-06-29', 'nothing-measured');
    const charts = await chartTexts(page);
    const empty = await page.$$eval('.empty', (nodes) => nodes.map((node) => node.textContent));
    await page.close();
    expect(charts).toHaveLength(0);
    expect(empty.join(' ')).toContain('No savings to chart');
  });
});
