import { describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { createActor } from 'xstate';
import { pairMachine } from '../../../machines/pair-machine.js';
import { VirtualClock } from '../../../src/clock/clock.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';
import { silentLogger } from '../../../src/log/logger.js';
import { createInspector } from '../../../src/service/http/inspector.js';
import { BTCUSDT_SPOT } from '../../fixtures/markets.js';

const T0 = 1_723_161_254_000;

interface Inspected {
  type: string;
  event?: { type: string };
  snapshot?: { value?: unknown };
  name?: string;
  definition?: string;
}

function startPairActor(inspect: ReturnType<typeof createActor>['options']['inspect']) {
  const clock = new VirtualClock(T0);
  const actor = createActor(pairMachine, {
    clock,
    inspect,
    input: { pairId: 'binance-BTC_USDT', market: BTCUSDT_SPOT, params: StrategyParamsSchema.parse({}), paramsVersion: 1, position: '0', now: T0 },
  });
  actor.subscribe({ error: () => undefined });
  actor.start();
  actor.send({ type: 'START', ts: T0 });
  clock.advanceTo(T0 + 100);
  actor.send({ type: 'BOOK', ts: T0 + 100, bestBid: 60_000, bestAsk: 60_000.5 });
  clock.advanceTo(T0 + 200);
  actor.send({ type: 'OPERATOR_PAUSE', ts: T0 + 200, identity: 'ops', reason: 'inspect test' });
  return actor;
}

/** Collect JSON messages until `done` holds or the time runs out. */
async function collect(socketMessages: Inspected[], done: (m: Inspected[]) => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done(socketMessages)) {
    if (Date.now() > until) throw new Error(`timed out; got ${socketMessages.map((m) => m.type + (m.event ? `:${m.event.type}` : '')).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sawEverything = (m: Inspected[]) =>
  m.some((x) => x.type === '@xstate.actor') &&
  m.some((x) => x.type === '@xstate.event' && x.event?.type === 'OPERATOR_PAUSE') &&
  m.some((x) => x.type === '@xstate.snapshot' && JSON.stringify(x.snapshot?.value) === '"paused"');

describe('XState inspector', () => {
  it('sends a real pair actor’s inspection events to a loopback WebSocket server', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const received: Inspected[] = [];
    server.on('connection', (ws) => ws.on('message', (d) => received.push(JSON.parse(d.toString()) as Inspected)));

    const inspector = await createInspector({ logger: silentLogger(), url: `ws://127.0.0.1:${port}` });
    expect(inspector.pageUrl).toBeNull();
    const actor = startPairActor(inspector.inspect);
    try {
      await collect(received, sawEverything);
      const registered = received.find((m) => m.type === '@xstate.actor');
      // The machine definition travels with the actor, so the inspector can draw every state.
      for (const state of ['starting', 'quoting', 'paused', 'shock-cooldown', 'liquidating', 'stopped']) expect(registered?.definition).toContain(state);
      const events = received.filter((m) => m.type === '@xstate.event').map((m) => m.event?.type);
      expect(events).toEqual(expect.arrayContaining(['START', 'BOOK', 'OPERATOR_PAUSE']));
      expect(events.indexOf('START')).toBeLessThan(events.indexOf('OPERATOR_PAUSE'));
    } finally {
      actor.stop();
      await inspector.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('without a URL starts a loopback relay: its page embeds the Stately inspector, a watcher receives the events, foreign origins are refused', async () => {
    const inspector = await createInspector({ logger: silentLogger(), port: 0 });
    try {
      expect(inspector.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      expect(inspector.pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await (await fetch(inspector.pageUrl ?? '')).text();
      expect(page).toContain('https://stately.ai/inspect');
      expect(page).toContain(inspector.url);

      const origin = (inspector.pageUrl ?? '').replace(/\/$/, '');
      const watcher = new WebSocket(inspector.url, { origin });
      const received: Inspected[] = [];
      watcher.on('message', (d) => received.push(JSON.parse(d.toString()) as Inspected));
      await once(watcher, 'open');

      const foreign = new WebSocket(inspector.url, { origin: 'https://evil.example' });
      foreign.on('error', () => undefined);
      const [, response] = (await once(foreign, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(response.statusCode).toBe(401);
      foreign.terminate();

      const actor = startPairActor(inspector.inspect);
      try {
        await collect(received, sawEverything);
      } finally {
        actor.stop();
        watcher.close();
      }
    } finally {
      await inspector.stop();
    }
  });

  it('a busy relay port is a clear error, not a crash', async () => {
    // Both relays are real; the second must fail at start and leave the first running.
    const first = await createInspector({ logger: silentLogger(), port: 0 });
    try {
      const port = Number(new URL(first.url).port);
      await expect(createInspector({ logger: silentLogger(), port })).rejects.toThrow(/inspector relay cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      expect((await fetch(first.pageUrl ?? '')).status).toBe(200);
    } finally {
      await first.stop();
    }
  });
});
