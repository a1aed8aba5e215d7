import { afterEach, describe, expect, it } from '@jest/globals';
import { parseEngineConfig } from '../../../src/config/engine-config.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { ServiceUpdate } from '../../../src/service/service-control.js';
import { startService, type RunningService } from '../../../src/service/start-service.js';
import { openEventStore } from '../../../src/store/store-url.js';
import type { EventStore } from '../../../src/store/event-store.js';
import { tempDbPath } from '../runtime-harness.js';

const PAIR = 'binance-BTC_USDT';
const until = async (what: () => boolean, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('startService (paper trading on the bundled recording, SQLite)', () => {
  let service: RunningService | null = null;
  let store: EventStore | null = null;
  afterEach(async () => {
    await service?.stop();
    await store?.close();
    service = null;
    store = null;
  });

  it('lists the pair, quotes, records operator commands with the identity, and stops with every order cancelled', async () => {
    store = await openEventStore(`sqlite:${tempDbPath('svc.db')}`);
    service = await startService({ config: parseEngineConfig({}, 'test'), store, speed: 20, logger: silentLogger() });
    const { control } = service;
    const updates: ServiceUpdate[] = [];
    const unsubscribe = control.subscribe((u) => updates.push(u));

    await until(() => control.getPair(PAIR).state === 'quoting' && control.getPair(PAIR).openOrders.length > 0);
    expect(control.listPairs().map((p) => p.id)).toEqual([PAIR]);
    expect(control.health()).toMatchObject({ live: true, ready: true });
    const view = control.getPair(PAIR);
    expect(view.quotes.bids.length).toBeGreaterThan(0);
    expect(view.book.bids.length).toBeGreaterThan(1);

    const paused = await control.command(PAIR, 'pause', { name: 'alice', role: 'operator' }, 'maintenance');
    expect(paused.state).toBe('paused');
    expect(paused.risk.pauseReason).toBe('operator');
    await until(() => control.getPair(PAIR).openOrders.length === 0);
    await expect(control.command(PAIR, 'start', { name: 'alice', role: 'operator' }, 'x')).rejects.toMatchObject({ status: 409 });
    const resumed = await control.command(PAIR, 'resume', { name: 'alice', role: 'operator' }, 'done');
    expect(resumed.state).toBe('quoting');

    const changed = await control.changeParams(PAIR, { baseSpreadBps: 8 }, { name: 'root', role: 'admin' }, 'wider');
    expect(changed.params.baseSpreadBps).toBe(8);
    await expect(control.changeParams(PAIR, { baseSpreadBps: -1 }, { name: 'root', role: 'admin' }, 'bad')).rejects.toMatchObject({ status: 400 });

    const events = await control.events(PAIR, {});
    const commands = events.filter((e) => e.type === 'OperatorCommand').map((e) => e.data);
    expect(commands).toEqual([
      { identity: 'alice (operator)', command: 'pause', reason: 'maintenance' },
      { identity: 'alice (operator)', command: 'resume', reason: 'done' },
    ]);
    expect(events.some((e) => e.type === 'ParametersChanged')).toBe(true);
    expect(updates.some((u) => u.type === 'event' && u.event.type === 'OperatorCommand')).toBe(true);
    expect(updates.some((u) => u.type === 'pair' && u.pair.state === 'paused')).toBe(true);
    expect(control.riskAlerts().some((a) => a.kind === 'Paused:operator')).toBe(true);
    expect(control.performance(PAIR).ordersPlaced).toBeGreaterThan(0);

    const stoppedView = await control.command(PAIR, 'stop', { name: 'alice', role: 'operator' }, 'end of day');
    expect(stoppedView.state).toBe('stopped');
    expect(stoppedView.openOrders).toEqual([]);
    const started = await control.command(PAIR, 'start', { name: 'alice', role: 'operator' }, 'again');
    expect(['quoting', 'paused', 'starting']).toContain(started.state);
    unsubscribe();

    const result = await service.stop();
    expect(Object.values(result.pairs).map((p) => p.state)).toEqual(['stopped']);
    const all = await store.readStream('pair-binance-BTC_USDT');
    expect(all[all.length - 1]?.type).toBe('PairStopped');
  }, 60_000);

  it('an operator stop holds across a service restart until an operator starts the pair', async () => {
    const path = tempDbPath('svc-stop.db');
    store = await openEventStore(`sqlite:${path}`);
    service = await startService({ config: parseEngineConfig({}, 'test'), store, speed: 20, logger: silentLogger() });
    await until(() => service!.control.getPair(PAIR).state === 'quoting');
    await service.control.command(PAIR, 'stop', { name: 'bob', role: 'operator' }, 'end of day');
    await service.stop();
    const before = (await store.readStream('pair-binance-BTC_USDT')).length;

    service = await startService({ config: parseEngineConfig({}, 'test'), store, speed: 20, logger: silentLogger() });
    expect(service.control.getPair(PAIR).state).toBe('stopped');
    await new Promise((r) => setTimeout(r, 500));
    expect((await store.readStream('pair-binance-BTC_USDT')).length).toBe(before);
    const view = await service.control.command(PAIR, 'start', { name: 'bob', role: 'operator' }, 'morning');
    expect(view.state).not.toBe('stopped');
    const after = (await store.readStream('pair-binance-BTC_USDT')).slice(before);
    expect(after.slice(0, 2).map((e) => e.type)).toEqual(['OperatorCommand', 'PairStarted']);
    await until(() => service!.control.getPair(PAIR).state === 'quoting');
  }, 60_000);
});
