/**
 * Headless Chromium from Debian's `chromium` package, for the pages Baton serves: a screenshot,
 * and the DOM after the page's own script ran (`--virtual-time-budget` lets its timers fire).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tempDir } from './temp';

const run = promisify(execFile);

export const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

function flags(profile: string): string[] {
  return ['--headless', '--disable-gpu', '--no-sandbox', `--user-data-dir=${profile}`, '--hide-scrollbars'];
}

/** The DOM of `url` after `budgetMs` of virtual time (the page's polls ran). */
export async function dumpDom(url: string, budgetMs = 3000): Promise<string> {
  const profile = tempDir('baton-chromium-');
  try {
    const r = await run(CHROMIUM, [...flags(profile.path), `--virtual-time-budget=${budgetMs}`, '--dump-dom', url], {
      timeout: 60_000,
      maxBuffer: 16 << 20,
    });
    return r.stdout;
  } finally {
    profile.cleanup();
  }
}

/** A PNG of `url` at `size` (WIDTH,HEIGHT) into `file`, after `budgetMs` of virtual time. */
export async function screenshot(url: string, file: string, size = '1200,640', budgetMs = 3000): Promise<void> {
  const profile = tempDir('baton-chromium-');
  try {
    await run(
      CHROMIUM,
      [
        ...flags(profile.path),
        `--virtual-time-budget=${budgetMs}`,
        `--window-size=${size}`,
        `--screenshot=${file}`,
        url,
      ],
      { timeout: 60_000 },
    );
  } finally {
    profile.cleanup();
  }
}
