import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pairMachineGraph } from '../../src/service/dashboard/machine-graph.js';
import { SERVICE_KIND, startDashboardService, type DashboardService } from '../support/dashboard-service-fixture.js';

/*
 * The dashboard's HTTP side on the API app: the page and uPlot load without a
 * token (they hold no data), the machine graph and the live stream need one,
 * and a closed stream gives its subscription back.
 */

interface SseMessage {
  readonly event: string;
  readonly data: unknown;
}

/** Opens the stream and collects messages until `until` says enough; resolves with them and the open response. */
function readStream(url: string, token: string | null, until: (messages: SseMessage[]) => boolean): Promise<{ status: number; messages: SseMessage[]; res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/api/stream`, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const messages: SseMessage[] = [];
      let buffer = '';
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined) messages.push({ event, data: JSON.parse(data) });
        }
        if (until(messages)) resolve({ status: res.statusCode ?? 0, messages, res, body });
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, messages, res, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const waitFor = async (check: () => boolean, ms = 5000): Promise<void> => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe(`dashboard stream and page on the API app, on ${SERVICE_KIND}`, () => {
  let service: DashboardService;

  beforeAll(async () => {
    service = await startDashboardService();
  }, 180_000);
  afterAll(async () => {
    await service?.close();
  });
  // close() is idempotent in the fixture: the last test closes the service itself.

  it('serves the page and uPlot from this host, without a token, under a strict CSP', async () => {
    const page = await fetch(`${service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).toContain('/vendor/uplot/uPlot.min.css');
    expect(html).not.toMatch(/https?:\/\//);
    const uplot = await fetch(`${service.url}/vendor/uplot/uPlot.esm.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toMatch(/export \{ uPlot as default \}|export default uPlot/);
    expect((await fetch(`${service.url}/app.js`)).status).toBe(200);
  });

  it('answers 401 without a token, or with an unknown one, on the graph and the stream', async () => {
    expect((await fetch(`${service.url}/api/machine`)).status).toBe(401);
    expect((await fetch(`${service.url}/api/machine`, { headers: { authorization: 'Bearer not-a-known-token-at-all' } })).status).toBe(401);
    const anonymous = await readStream(service.url, null, () => false);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).not.toContain('event:');
    const wrong = await readStream(service.url, 'not-a-known-token-at-all', () => false);
    expect(wrong.status).toBe(401);
  });

  it('gives the machine graph derived from the pair machine to a viewer', async () => {
    const res = await fetch(`${service.url}/api/machine`, { headers: { authorization: `Bearer ${service.viewerToken}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(pairMachineGraph())));
  });

  it('streams a snapshot of every pair, then live updates, and gives the subscription back on disconnect', async () => {
    const before = service.dashboardSubscriptions();
    const { status, messages, res } = await readStream(service.url, service.viewerToken, (m) => m.some((x) => x.event === 'update') && m.some((x) => x.event === 'history'));
    expect(status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const snapshot = messages[0];
    expect(snapshot?.event).toBe('snapshot');
    const pairs = await service.pairs();
    const snap = snapshot?.data as { pairs: { id: string }[]; history: Record<string, unknown[]>; alerts: unknown[] };
    expect(snap.pairs.map((p) => p.id).sort()).toEqual(pairs.map((p) => p.id).sort());
    expect(Object.keys(snap.history).sort()).toEqual(pairs.map((p) => p.id).sort());
    const update = messages.find((m) => m.event === 'update')?.data as { type: string };
    expect(['pair', 'event']).toContain(update.type);
    expect(service.dashboardSubscriptions()).toBe(before + 1);

    res.destroy();
    await waitFor(() => service.dashboardSubscriptions() === before);
  });

  it('sends heartbeats', async () => {
    const { messages, res } = await readStream(service.url, service.viewerToken, (m) => m.some((x) => x.event === 'heartbeat'));
    expect(messages.some((m) => m.event === 'heartbeat')).toBe(true);
    res.destroy();
    await waitFor(() => service.dashboardSubscriptions() === 0);
  });

  it('lets the service shut down while a dashboard is connected: the stream ends, the subscription is given back', async () => {
    const before = service.dashboardSubscriptions();
    const { res } = await readStream(service.url, service.viewerToken, (m) => m.length > 0);
    const ended = new Promise<void>((resolve) => res.on('end', () => resolve()).on('close', () => resolve()));
    expect(service.dashboardSubscriptions()).toBe(before + 1);
    await service.close();
    await ended;
    expect(service.dashboardSubscriptions()).toBe(before);
  });
});
