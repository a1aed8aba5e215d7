import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PairView } from '../../src/service/service-control.js';
import { SERVICE_KIND, startDashboardService, type DashboardService } from '../support/dashboard-service-fixture.js';

/*
 * The dashboard in real headless Chromium against a running service: cards,
 * uPlot charts and the state diagram render with live values, and an operator
 * pauses a pair from the page. `.ci/run` installs Chromium from Debian.
 */

/** What the page functions below use of the DOM (the project compiles without lib "dom"). */
interface PageNode {
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
  readonly textContent: string | null;
  readonly children: { readonly length: number };
}
declare const document: { querySelector(selector: string): PageNode | null };

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_DIR = join(process.cwd(), 'test-output');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (install it: apt-get install -y chromium; .ci/run does)`);
const describeBrowser = haveChromium ? describe : describe.skip;

interface GraphLike {
  readonly states: readonly { readonly id: string }[];
  readonly edges: readonly unknown[];
}

describeBrowser(`dashboard in headless Chromium, on ${SERVICE_KIND}`, () => {
  let service: DashboardService;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    service = await startDashboardService();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    // Offline: the page may load nothing from anywhere but the service.
    await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
      pageErrors.push(`external request: ${route.request().url()}`);
      return route.abort();
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  const card = (id: string) => page.locator(`article.pair-card[data-pair-id="${id}"]`);
  const field = (id: string, name: string) => card(id).locator(`[data-field="${name}"]`);

  /** Polls until the card's badge, the diagram's highlighted state and GET /api/pairs/:id agree, and `also` holds for the API's view. */
  async function agree(id: string, also: (api: PairView) => boolean): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const api = await service.pair(id);
      const shown = await field(id, 'state').textContent();
      const current = await field(id, 'diagram').locator('g.state.current').getAttribute('data-state');
      if (shown === api.state && current === api.state && also(api)) return;
      if (Date.now() > deadline) throw new Error(`card ${shown}, diagram ${current}, API ${api.state} (${api.risk.pauseReason ?? 'no pause'}) never agreed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('asks for a token, then shows one card per pair with live values, both charts and the state diagram', async () => {
    await page.goto(service.url);
    await expect(page.getByRole('textbox', { name: 'API token' }).isVisible()).resolves.toBe(true);
    await page.getByRole('textbox', { name: 'API token' }).fill(service.viewerToken);
    await page.getByRole('button', { name: 'Connect' }).click();

    const pairs = await service.pairs();
    expect(pairs.length).toBeGreaterThan(0);
    await page.locator('article.pair-card').nth(pairs.length - 1).waitFor();
    expect(await page.locator('article.pair-card').count()).toBe(pairs.length);
    await expect(page.locator('#connection').getAttribute('data-status')).resolves.toBe('live');

    const id = pairs[0]!.id;
    // Quoting, with a book: the pair is live.
    await page.waitForFunction((pid) => document.querySelector(`article[data-pair-id="${pid}"]`)?.getAttribute('data-state') === 'quoting', id, { timeout: 30_000 });
    await agree(id, () => true);

    // Live: the book on the card moves while we watch, and the history charts grow.
    const bookBefore = await field(id, 'book-bid').textContent();
    const pointsBefore = Number(await card(id).locator('[data-chart="pnl"] .uplot').getAttribute('data-points'));
    await page.waitForFunction(
      ({ pid, before, points }) => {
        const c = document.querySelector(`article[data-pair-id="${pid}"]`);
        const bid = c?.querySelector('[data-field="book-bid"]')?.textContent;
        const n = Number(c?.querySelector('[data-chart="pnl"] .uplot')?.getAttribute('data-points'));
        return bid !== before && bid !== '—' && n > points;
      },
      { pid: id, before: bookBefore, points: pointsBefore },
      { timeout: 30_000 },
    );
    expect(Number(await field(id, 'book-bid').textContent())).toBeGreaterThan(0);

    // Both charts are uPlot canvases with data.
    for (const chart of ['pnl', 'inventory']) {
      const root = card(id).locator(`[data-chart="${chart}"] .uplot`);
      expect(await root.locator('canvas').count()).toBe(1);
      expect(Number(await root.getAttribute('data-points'))).toBeGreaterThan(1);
    }

    // The depth ladder shows book levels and marks our open orders.
    await page.waitForFunction((pid) => Number(document.querySelector(`article[data-pair-id="${pid}"] [data-field="depth"]`)?.getAttribute('data-levels')) > 2, id);
    await page.waitForFunction((pid) => document.querySelector(`article[data-pair-id="${pid}"] [data-field="depth"] g[data-ours="true"]`) !== null, id, { timeout: 30_000 });

    // The diagram is the machine's graph (same states and edges as the service derives), current state highlighted.
    const graph = (await service.api('/api/machine')) as GraphLike;
    const diagram = field(id, 'diagram');
    expect(await diagram.locator('g.state').count()).toBe(graph.states.length);
    expect(await diagram.locator('g.state').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(graph.states.map((s) => s.id));
    expect(await diagram.locator('g.state.current').getAttribute('data-state')).toBe(await field(id, 'state').textContent());

    // The event log tails live.
    await page.waitForFunction((pid) => (document.querySelector(`article[data-pair-id="${pid}"] [data-field="events"]`)?.children.length ?? 0) > 0, id, { timeout: 30_000 });
  }, 180_000);

  it('refuses pause for a viewer with a clear 403, then pauses with an operator token (card and diagram show paused), then resumes', async () => {
    const id = (await service.pairs())[0]!.id;
    await page.getByRole('button', { name: `pause ${id}` }).click();
    const status = field(id, 'command-status');
    await page.waitForFunction((pid) => document.querySelector(`article[data-pair-id="${pid}"] [data-field="command-status"]`)?.getAttribute('data-http-status') === '403', id);
    expect(await status.getAttribute('role')).toBe('alert');
    expect(await status.textContent()).toMatch(/403.*operator role required/);
    // The refusal changed nothing: no operator pause (the service may pause by itself, e.g. a stale feed on a loaded machine).
    expect((await service.pair(id)).risk.pauseReason).not.toBe('operator');

    await page.getByRole('button', { name: 'Change token' }).click();
    await page.getByRole('textbox', { name: 'API token' }).fill(service.operatorToken);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForFunction(() => document.querySelector('#connection')?.getAttribute('data-status') === 'live', undefined, { timeout: 30_000 });
    await page.getByRole('button', { name: `pause ${id}` }).click();

    await page.waitForFunction(
      (pid) => {
        const c = document.querySelector(`article[data-pair-id="${pid}"]`);
        return c?.querySelector('[data-field="state"]')?.textContent === 'paused' && (c.querySelector('[data-field="pause-reason"]')?.textContent ?? '').startsWith('operator');
      },
      id,
      { timeout: 30_000 },
    );
    expect(await field(id, 'command-status').textContent()).toBe('pause: done');
    await agree(id, (api) => api.state === 'paused' && api.risk.pauseReason === 'operator');
    expect(await field(id, 'diagram').locator('g.state.current').getAttribute('data-state')).toBe('paused');

    // Paused, the pair's figures hold still: the card shows what the API says.
    const matches = async () => {
      const api = await service.pair(id);
      const shown = { position: Number(await field(id, 'position').textContent()), fees: Number(await field(id, 'pnl-fees').textContent()) };
      return Math.abs(shown.position - Number(api.inventory.position)) < 1e-8 && Math.abs(shown.fees - Number(api.pnl.fees)) < 1e-4;
    };
    const deadline = Date.now() + 10_000;
    while (!(await matches())) {
      if (Date.now() > deadline) throw new Error('the card never matched GET /api/pairs/:id');
      await new Promise((r) => setTimeout(r, 100));
    }

    await page.screenshot({ path: join(OUTPUT_DIR, 'dashboard.png'), fullPage: true });
    // And back: resume from the page. The service records it, and card, diagram and API agree on where the pair went.
    await page.getByRole('button', { name: `resume ${id}` }).click();
    await page.waitForFunction((pid) => document.querySelector(`article[data-pair-id="${pid}"] [data-field="events"] li[data-type="Resumed"]`) !== null, id, { timeout: 30_000 });
    expect(await card(id).locator('[data-field="events"] li[data-type="Resumed"]').first().textContent()).toMatch(/from=paused to=quoting reason=operator/);
    expect(await field(id, 'command-status').textContent()).toBe('resume: done');
    // Quoting again, unless the feed went quiet meanwhile (the recording ran out, or a loaded machine): then paused for that, not by us.
    await agree(id, (api) => api.risk.pauseReason !== 'operator');

    // The only failed request is the viewer's refused pause.
    expect(pageErrors.filter((e) => !/status of 403/.test(e))).toEqual([]);
  }, 180_000);
});


