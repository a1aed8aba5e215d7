import { describe, expect, it } from '@jest/globals';
import ccxt from 'ccxt';
import { VirtualClock } from '../../../../src/clock/clock.js';
import type { FeedProblemEvent, FeedRecoveredEvent } from '../../../../src/market-data/market-event.js';
import { CcxtVenueError, classifyVenueError, redactSecrets } from '../../../../src/venues/ccxt/ccxt-errors.js';
import { FeedHealth } from '../../../../src/venues/ccxt/ccxt-feed-health.js';
import { RecentIds } from '../../../../src/venues/ccxt/ccxt-recent-ids.js';
import { backoffDelay, withRetry } from '../../../../src/venues/ccxt/ccxt-retry.js';

describe('ccxt error classes -> stable categories', () => {
  const cases: [string, Error, string, string, boolean][] = [
    ['InsufficientFunds', new ccxt.InsufficientFunds('binance Account has insufficient balance'), 'insufficient-funds', 'reduce-size-or-pause', false],
    ['OrderImmediatelyFillable', new ccxt.OrderImmediatelyFillable('x'), 'post-only-would-cross', 'reject', false],
    ['InvalidOrder', new ccxt.InvalidOrder('x'), 'invalid-order', 'reject', false],
    ['OrderNotFound', new ccxt.OrderNotFound('x'), 'unknown-order', 'reject', false],
    ['DuplicateOrderId', new ccxt.DuplicateOrderId('x'), 'duplicate-order', 'reject', false],
    ['Binance "Duplicate order sent."', new ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'), 'duplicate-order', 'reject', false],
    ['RateLimitExceeded', new ccxt.RateLimitExceeded('x'), 'rate-limited', 'backoff', true],
    ['DDoSProtection', new ccxt.DDoSProtection('x'), 'rate-limited', 'backoff', true],
    ['RequestTimeout', new ccxt.RequestTimeout('x'), 'network', 'pause-and-cancel-on-reconnect', true],
    ['ExchangeNotAvailable', new ccxt.ExchangeNotAvailable('x'), 'network', 'pause-and-cancel-on-reconnect', true],
    ['OnMaintenance', new ccxt.OnMaintenance('x'), 'network', 'pause-and-cancel-on-reconnect', true],
    ['NetworkError', new ccxt.NetworkError('x'), 'network', 'pause-and-cancel-on-reconnect', true],
    ['AuthenticationError', new ccxt.AuthenticationError('x'), 'auth', 'halt', false],
    ['PermissionDenied', new ccxt.PermissionDenied('x'), 'auth', 'halt', false],
    ['NotSupported', new ccxt.NotSupported('x'), 'not-supported', 'halt', false],
    ['BadRequest', new ccxt.BadRequest('x'), 'invalid-order', 'reject', false],
    ['ExchangeError', new ccxt.ExchangeError('x'), 'exchange-error', 'reject', false],
    ['a plain Error', new Error('boom'), 'internal', 'halt', false],
  ];
  it.each(cases)('%s', (_name, err, category, action, retryable) => {
    expect(classifyVenueError(err)).toMatchObject({ category, action, retryable });
  });

  it('never lets credentials or request signatures through in a message', () => {
    const key = 'AKIAverySecretKey123';
    const secret = 'shhhTheSecretValue456';
    const err = new ccxt.NetworkError(`binance POST https://api.binance.com/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=9f86d081884c7d65 fetch failed (key ${key}, secret ${secret}) {"X-MBX-APIKEY":"${key}"}`);
    const { message } = classifyVenueError(err, [key, secret]);
    expect(message).not.toContain(key);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('9f86d081884c7d65');
    expect(message).toContain('signature=[redacted]');
    expect(redactSecrets('apiKey=abc&x=1', [])).toBe('apiKey=[redacted]&x=1');
    expect(new CcxtVenueError(classifyVenueError(err, [key, secret]), 'placing').message).not.toContain(key);
  });
});

describe('retry and backoff on the injected clock', () => {
  it('backs off exponentially up to the cap', () => {
    const p = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(p, a))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('retries rate limits and network errors within the budget, never anything else', async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    const flaky = withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new ccxt.RateLimitExceeded('429');
        return 'ok';
      },
      { clock, policy: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, budgetMs: 10_000 } },
    );
    for (let t = 0; t <= 400 && calls < 3; t += 50) {
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      clock.advanceTo(t);
    }
    await expect(flaky).resolves.toBe('ok');
    expect(calls).toBe(3);
    expect(clock.now()).toBeGreaterThanOrEqual(300); // 100 + 200 ms of backoff on the virtual clock

    let invalid = 0;
    await expect(
      withRetry(
        async () => {
          invalid++;
          throw new ccxt.InvalidOrder('no');
        },
        { clock, policy: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 100 } },
      ),
    ).rejects.toBeInstanceOf(ccxt.InvalidOrder);
    expect(invalid).toBe(1);
  });
});

describe('feed health (virtual clock)', () => {
  it('reports stale after maxAgeMs without data, each problem kind once per outage, and one recovery', () => {
    const clock = new VirtualClock(1_000);
    const events: (FeedProblemEvent | FeedRecoveredEvent)[] = [];
    const health = new FeedHealth({ venue: 'binance', symbol: 'BTCUSDT', clock, maxAgeMs: 500, emit: (e) => events.push(e) });
    health.start();
    clock.advanceTo(1_400);
    health.data('flowing');
    clock.advanceTo(1_800); // 400 ms since the last data: fine
    expect(events).toEqual([]);
    clock.advanceTo(1_900);
    expect(events).toEqual([{ kind: 'feed-problem', venue: 'binance', symbol: 'BTCUSDT', ts: 1_900, problem: 'stale', detail: 'no update for 500 ms (max 500 ms)' }]);
    health.problem('gap', 'websocket lost');
    health.problem('gap', 'websocket lost again');
    clock.advanceTo(5_000);
    expect(events.map((e) => (e.kind === 'feed-problem' ? e.problem : e.kind))).toEqual(['stale', 'gap']);
    expect(health.healthy).toBe(false);
    health.data('book resynced');
    expect(events[2]).toEqual({ kind: 'feed-recovered', venue: 'binance', symbol: 'BTCUSDT', ts: 5_000, detail: 'book resynced (after stale, gap; down 3100 ms)' });
    expect(health.healthy).toBe(true);
    health.stop();
    clock.advanceTo(10_000);
    expect(events).toHaveLength(3);
  });

  it('remembers a bounded number of ids', () => {
    const ids = new RecentIds(2);
    expect([ids.add('1'), ids.add('1'), ids.add('2'), ids.add('3')]).toEqual([true, false, true, true]);
    expect([ids.has('1'), ids.has('2'), ids.has('3')]).toEqual([false, true, true]);
  });
});
