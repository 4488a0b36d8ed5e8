import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, which scripts/bootstrap-engine.sh installs. */
export const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A real headless Chromium for the tests that check what a user sees in a browser (a preview's
 * page, its hot reload). No sandbox: the tests run as root in a container-less CI machine.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: run scripts/bootstrap-engine.sh (it installs Debian's chromium)`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
