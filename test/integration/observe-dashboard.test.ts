// The live dashboard in a real browser: a daemon with --dashboard serves the page, headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core) opens it from inside the daemon's
// namespace, and we check what a class would see: the networks by name, a container's endpoint, a
// MAC in the table, and the frame counter going up after a ping. A screenshot is saved under
// test-output/ (or $TSNET_TEST_OUTPUT) for a person to look at.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cleanupAll, onCleanup } from '../helpers/netns.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const t = suite('observe: live dashboard in headless Chromium');
const DASHBOARD = '127.0.0.1:9524';
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let d: TestDaemon;
let lilyIp = '';

// playwright-core's types, as far as this test uses them
interface Locator { textContent(): Promise<string | null>; waitFor(o?: { timeout?: number }): Promise<void> }
interface Page {
  goto(url: string): Promise<unknown>;
  locator(sel: string): Locator;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<unknown>;
  waitForFunction(fn: string, arg?: unknown, o?: { timeout?: number }): Promise<unknown>;
  setViewportSize(s: { width: number; height: number }): Promise<void>;
}
interface Browser { newPage(): Promise<Page>; close(): Promise<void> }
interface Chromium { launchPersistentContext(userDataDir: string, o: { executablePath: string; args: string[]; headless: boolean }): Promise<Browser> }

t.before(async () => {
  d = await startTestDaemon({ extraArgs: ['--dashboard', DASHBOARD] });
  d.ok('network', 'create', '--subnet', '172.31.0.0/16', 'classroom');
  d.ok('network', 'create', '--subnet', '172.28.0.0/16', 'backstage');
  d.ok('run', '-d', '--name', 'rose', '--net', 'classroom', '--', 'sleep', '600');
  d.ok('run', '-d', '--name', 'lily', '--net', 'classroom', '--', 'sleep', '600');
  lilyIp = (JSON.parse(d.ok('inspect', 'lily')) as Array<any>)[0].NetworkSettings.Networks.classroom.IPAddress;
});
t.after(() => cleanupAll());

t('the page shows networks, endpoints, MACs and moving counters', async () => {
  const pkg = 'playwright-core'; // a devDependency; named through a variable so tsc needs no types
  const { chromium } = (await import(pkg)) as { chromium: Chromium };
  // the dashboard listens on loopback inside the daemon's namespace: run the browser there
  const dir = mkdtempSync(join(tmpdir(), 'tsnet-chromium-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const wrapper = join(dir, 'chromium-in-ns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${d.hostNs} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  // a fresh profile directory (--user-data-dir) for every run
  const browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: wrapper, headless: true, args: FLAGS });
  try {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`http://${DASHBOARD}/`);
    const card = '[data-network="classroom"]';
    await page.locator(card).waitFor({ timeout: 15_000 });
    assert.match((await page.locator('main').textContent()) ?? '', /backstage/);
    const text = (await page.locator(card).textContent()) ?? '';
    assert.match(text, /classroom/);
    assert.match(text, /rose/);
    assert.match(text, /lily/);
    const frames = async () => Number((await page.locator(`${card} [data-stat="frames"] .v`).textContent()) ?? 'NaN');
    const before = await frames();
    assert.ok(Number.isFinite(before));
    assert.is(d.inContainer('rose', 'ping', ['-c', '3', '-i', '0.2', '-W', '2', lilyIp]).status, 0);
    await page.waitForFunction(
      `Number(document.querySelector('${card} [data-stat="frames"] .v')?.textContent) >= ${before + 6}`, undefined, { timeout: 15_000 });
    await page.waitForFunction(`document.querySelector('${card}').textContent.includes('rose:eth0')`, undefined, { timeout: 15_000 });
    assert.ok((await frames()) >= before + 6, 'the frame counter went up by the 3 echo requests and 3 replies');
    const out = resolve(process.env.TSNET_TEST_OUTPUT ?? 'test-output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});

t('cleanup', () => {
  d.ok('rm', '-f', 'rose', 'lily');
  d.ok('network', 'rm', 'classroom', 'backstage');
});

t.run();
