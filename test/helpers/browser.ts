import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Debian's chromium (scripts/setup.d/40-browser.sh installs it); playwright-core downloads none. */
export const CHROMIUM = '/usr/bin/chromium';

export interface RenderedPage {
  /** Messages of type "error" on the console, and uncaught page errors. */
  errors: string[];
  /** Requests the page tried to make beyond its own file (a self-contained page makes none). */
  requests: string[];
  /** Per SVG chart on the page: how many data shapes it drew (paths, circles, rects, lines with a size; not the axes and grid). */
  charts: Array<{ label: string; shapes: number; width: number; height: number }>;
  /** The text of the element `#verdict`, or null. */
  verdict: string | null;
}

/**
 * Opens a local HTML file in headless Chromium (no network: the flags keep it from reaching out on
 * its own), reads what it drew, and saves a full-page screenshot to `screenshot`.
 */
export async function renderInChromium(file: string, screenshot: string): Promise<RenderedPage> {
  const profile = mkdtempSync(join(tmpdir(), 'bulwark-chromium-'));
  // A throw-away profile (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1160, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    const own = pathToFileURL(file).href;
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (r.url() !== own) requests.push(r.url());
    });
    await page.goto(own, { waitUntil: 'load' });
    const charts = await page.$$eval('svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const shapes = Array.from(
          svg.querySelectorAll(':is(path, circle, rect, line):not(.grid):not(.axis)'),
        ).filter((el) => {
          const b = (el as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          return b.width > 0 || b.height > 0;
        }).length;
        return { label: svg.getAttribute('aria-label') ?? '', shapes, width: box.width, height: box.height };
      }),
    );
    const verdict = await page.$eval('#verdict', (el) => el.textContent).catch(() => null);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, requests, charts, verdict };
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
