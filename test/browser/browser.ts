// Headless Chromium driven by playwright-core (no browser download: Debian's when installed, else the
// one @sparticuz/chromium ships in npm), with a page that records every
// request leaving the origin and every uncaught script error, and optional demo frames.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's chromium, faster to start, when the machine has it (or CHROMIUM_PATH names another). */
const SYSTEM_CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
/** Flags of @sparticuz/chromium's defaults that would loosen what the tests check (same-origin, CSP). */
const LOOSENING_ARGS = new Set(['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials']);

/** Which browser the tests drive: Debian's when installed, else the one the npm package ships. */
export async function chromiumExecutable(): Promise<{ path: string; args: string[]; source: string }> {
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, args: ARGS, source: SYSTEM_CHROMIUM };
  // A headless Chromium inside an npm package (devDependency): no apt-get, no download. Unpacked to
  // /tmp on first use (about 2 s).
  const { default: packaged } = await import('@sparticuz/chromium');
  const path = await packaged.executablePath();
  const args = [...packaged.args.filter((arg) => !LOOSENING_ARGS.has(arg.split('=')[0])), ...ARGS];
  return { path, args, source: `@sparticuz/chromium (${path})` };
}

export async function launchChromium(): Promise<Browser> {
  const { path, args } = await chromiumExecutable();
  return chromium.launch({ executablePath: path, args });
}

export interface TrackedPage {
  page: Page;
  context: BrowserContext;
  /** Requests to anywhere but the server under test (blocked, and a test failure). */
  foreign: string[];
  /** Uncaught errors thrown by the page's scripts, and Content-Security-Policy violations. */
  errors: string[];
}

/** A fresh context whose requests may only go to `origin`; anything else is aborted and recorded. */
export async function openTrackedPage(browser: Browser, origin: string, viewport = { width: 1280, height: 900 }): Promise<TrackedPage> {
  // Reduced motion: no smooth scrolling or spinners mid-animation in screenshots.
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const foreign: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url === origin) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) errors.push(message.text());
  });
  return { page, context, foreign, errors };
}

/**
 * Demo frames: when DEMO_FRAMES names a directory, each call saves the viewport with `focus`
 * scrolled into view; scripts/demo.ts turns the frames into the recording. Otherwise a no-op.
 */
let frameNumber = 0;
export async function demoFrame(page: Page, name: string, focus?: Locator): Promise<void> {
  const dir = process.env.DEMO_FRAMES;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  if (focus) {
    // 'start' honours the page's scroll-padding-top, so the sticky top bar covers nothing.
    await focus.evaluate((node) => node.scrollIntoView({ block: 'start' }));
  }
  await page.waitForTimeout(150); // let smooth layout settle (spinners gone, fonts laid out)
  frameNumber++;
  await page.screenshot({ path: join(dir, `${String(frameNumber).padStart(2, '0')}-${name}.png`) });
}
