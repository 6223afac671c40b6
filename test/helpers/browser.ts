import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, kept off the network it cannot reach here anyway. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH).`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots for reviewers go (ignored by git). */
export const SCREENSHOT_DIR = 'test-results/screenshots';

/** Collects into `refused` what the page's Content-Security-Policy refuses, as Chromium says it. */
export function collectPolicyRefusals(page: Page, refused: string[]): void {
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) {
      refused.push(`${page.url()}: ${message.text()}`);
    }
  });
}
