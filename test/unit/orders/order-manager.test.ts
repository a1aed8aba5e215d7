/**
 * The order manager's rules, one at a time, against a scripted venue standing
 * in for an exchange (order-manager-harness.ts) on a virtual clock.
 */
import { describe, expect, it } from '@jest/globals';
import { Host, params, q, ScriptedVenue, setup, SteppingClock, T0, target, TokenBucket } from './order-manager-harness.js';

const ladder = (bid = '59995', ask = '60005') => target([q(0, bid, '0.001'), q(1, '59990', '0.001')], [q(0, ask, '0.001'), q(1, '60010', '0.001')]);

describe('order manager: diff against open orders', () => {
  it('places the wanted ladder, recording each OrderPlaced before it is sent, then the acks', async () => {
    const { host, venue, journal } = setup();
    await host.decide(ladder());
    await host.settle();
    expect(journal.types()).toEqual(['OrderPlaced', 'OrderPlaced', 'OrderPlaced', 'OrderPlaced', 'OrderAcknowledged', 'OrderAcknowledged', 'OrderAcknowledged', 'OrderAcknowledged']);
    // Client ids derive from the revision of their OrderPlaced.
    for (const [i, e] of journal.ofType('OrderPlaced').entries()) expect(e.data.clientOrderId).toBe(`pair-test-r${i}`);
    expect([...venue.live.keys()].sort()).toEqual([...journal.openOrders().keys()].sort());
    expect(venue.violations).toEqual([]);
  });

  it('keeps an order whose wanted price moved within priceToleranceBps, replaces one that moved further', async () => {
    const { host, venue, journal } = setup({ priceToleranceBps: 1 });
    await host.decide(ladder('59995', '60005'));
    await host.settle();
    const before = venue.placements.length;
    await host.decide(ladder('59995.5', '60005.5')); // < 1 bp
    await host.settle();
    expect(venue.placements.length).toBe(before);
    expect(venue.cancels).toHaveLength(0);

    await host.decide(ladder('59980', '60005.5')); // bid level 0 moved 2.5 bp
    await host.settle();
    expect(venue.cancels).toHaveLength(1);
    expect(venue.placements.length).toBe(before + 1);
    const cancelled = journal.ofType('OrderCancelled');
    expect(cancelled.map((e) => e.data.reason)).toEqual(['requote']);
    // Batch cancel, then place: the cancel is confirmed in the log before the replacement is recorded.
    const types = journal.types();
    expect(types.lastIndexOf('OrderCancelled')).toBeLessThan(types.lastIndexOf('OrderPlaced'));
    expect(journal.ofType('OrderPlaced').at(-1)?.data).toMatchObject({ side: 'buy', level: 0, price: '59980' });
  });

  it('sends nothing new while a cancel is unconfirmed, and the cancels of one decision go out in one batch', async () => {
    const { host, venue, journal } = setup();
    await host.decide(ladder());
    await host.settle();
    venue.mode = 'manual';
    await host.decide(target([q(0, '59900', '0.001'), q(1, '59890', '0.001')], [q(0, '60100', '0.001'), q(1, '60110', '0.001')]));
    await host.settle();
    expect(venue.cancels).toHaveLength(1);
    expect(venue.cancels[0]?.ids).toHaveLength(4);
    const placedBefore = venue.placements.length;
    await host.advance(5_000);
    expect(venue.placements.length).toBe(placedBefore);
    venue.answerNext('cancel');
    await host.settle();
    expect(journal.ofType('OrderCancelled')).toHaveLength(4);
    expect(venue.placements.length).toBe(placedBefore + 4);
  });
});

describe('order manager: order age', () => {
  it('replaces an order older than maxOrderAgeMs on the clock, without a new decision', async () => {
    const { host, venue, journal } = setup({ maxOrderAgeMs: 10_000 });
    const t = ladder();
    await host.decide(t);
    await host.settle();
    const first = [...journal.openOrders().keys()];
    await host.advance(9_999);
    expect(venue.cancels).toHaveLength(0);
    await host.advance(1);
    expect(journal.ofType('OrderCancelled').map((e) => e.data.reason)).toEqual(['max-age', 'max-age', 'max-age', 'max-age']);
    const open = [...journal.openOrders().values()];
    expect(open).toHaveLength(4);
    expect(open.some((o) => first.includes(o.clientOrderId))).toBe(false);
    // The replacements follow the same decision, at its prices.
    const replacements = journal.ofType('OrderPlaced').slice(4);
    expect(replacements.every((e) => e.metadata.causationId === t.decisionId)).toBe(true);
    expect(replacements.map((e) => e.data.price).sort()).toEqual(['59990', '59995', '60005', '60010']);
  });

  it('maxOrderAgeMs 0 never replaces for age', async () => {
    const { host, venue } = setup({ maxOrderAgeMs: 0 });
    await host.decide(ladder());
    await host.settle();
    await host.advance(3_600_000);
    expect(venue.cancels).toHaveLength(0);
  });

  it('holds an order younger than minOrderLifetimeMs (no cancel, no second order on its level), then replaces it when it comes of age', async () => {
    const { host, venue, journal } = setup({ minOrderLifetimeMs: 2_000, maxOrderAgeMs: 0 });
    await host.decide(ladder());
    await host.settle();
    await host.advance(500);
    await host.decide(ladder('59970', '60005')); // bid level 0 out of tolerance, but 500 ms old
    await host.settle();
    expect(venue.cancels).toHaveLength(0);
    expect(venue.placements).toHaveLength(4);
    await host.advance(1_499);
    expect(venue.cancels).toHaveLength(0);
    await host.advance(1);
    expect(journal.ofType('OrderCancelled').map((e) => e.data.reason)).toEqual(['requote']);
    expect(journal.ofType('OrderPlaced').at(-1)?.data).toMatchObject({ side: 'buy', level: 0, price: '59970' });
    expect(venue.live.size).toBe(4);
  });

  it('cancels a young order at once when it would cross the book', async () => {
    const { host, journal } = setup({ minOrderLifetimeMs: 60_000, maxOrderAgeMs: 0 });
    await host.decide(ladder('59995', '60005'));
    await host.settle();
    // The market fell through our bid: best ask 59994 <= our bid 59995.
    await host.decide(target([q(0, '59980', '0.001'), q(1, '59990', '0.001')], [q(0, '60005', '0.001'), q(1, '60010', '0.001')], { bestBid: '59993', bestAsk: '59994' }));
    await host.settle();
    expect(journal.ofType('OrderCancelled').map((e) => e.data.reason)).toEqual(['would-cross']);
    expect(journal.ofType('OrderPlaced').at(-1)?.data).toMatchObject({ side: 'buy', level: 0, price: '59980' });
  });

  it('cancels young orders when the pair stops quoting', async () => {
    const { host, venue, journal } = setup({ minOrderLifetimeMs: 60_000, maxOrderAgeMs: 0 });
    await host.decide(ladder());
    await host.settle();
    await host.cancelAll('ShockDetected');
    await host.settle();
    expect(journal.ofType('OrderCancelled').map((e) => e.data.reason)).toEqual(['ShockDetected', 'ShockDetected', 'ShockDetected', 'ShockDetected']);
    expect(venue.live.size).toBe(0);
  });
});

describe('order manager: rate limits', () => {
  it('defers placements beyond the pair budget, records nothing for them, and places them on the clock', async () => {
    const { host, venue, journal } = setup({ pairOrderBurst: 2, pairOrdersPerSecond: 1 });
    const t = ladder();
    await host.decide(t);
    await host.settle();
    expect(venue.placements).toHaveLength(2);
    expect(journal.ofType('OrderPlaced')).toHaveLength(2);
    // Level 0 of both sides first.
    expect(journal.ofType('OrderPlaced').map((e) => e.data.level)).toEqual([0, 0]);
    await host.advance(999);
    expect(venue.placements).toHaveLength(2);
    await host.advance(1);
    expect(venue.placements).toHaveLength(3);
    await host.advance(1_000);
    expect(venue.placements).toHaveLength(4);
    expect(journal.ofType('OrderPlaced').every((e) => e.metadata.causationId === t.decisionId)).toBe(true);
    await host.advance(10_000);
    expect(venue.placements).toHaveLength(4);
  });

  it('never defers a cancel, and a deferred placement follows the latest decision', async () => {
    const { host, venue, journal } = setup({ pairOrderBurst: 4, pairOrdersPerSecond: 0.5 });
    await host.decide(ladder());
    await host.settle();
    expect(venue.placements).toHaveLength(4);
    const moved = target([q(0, '59900', '0.001')], [q(0, '60100', '0.001')]);
    await host.decide(moved);
    await host.settle();
    expect(journal.ofType('OrderCancelled')).toHaveLength(4); // no tokens needed
    expect(venue.placements).toHaveLength(4);
    const latest = target([q(0, '59800', '0.001')], [q(0, '60200', '0.001')]);
    await host.decide(latest);
    await host.settle();
    await host.advance(2_000);
    const placed = journal.ofType('OrderPlaced').slice(4);
    expect(placed).toHaveLength(1);
    expect(placed[0]?.data.price).toBe('59800');
    expect(placed[0]?.metadata.causationId).toBe(latest.decisionId);
  });

  it('shares the account budget between the pairs of one venue instance', async () => {
    const clock = new SteppingClock(T0);
    const venue = new ScriptedVenue(clock);
    const account = new TokenBucket(clock, { ratePerSecond: 1, burst: 3 });
    const a = new Host(clock, venue, params(), { stream: 'pair-a', account });
    const b = new Host(clock, venue, params(), { stream: 'pair-b', account });
    await a.decide(ladder());
    await b.decide(ladder());
    await a.settle();
    await b.settle();
    expect(venue.placements).toHaveLength(3);
    await a.advance(1_000);
    await b.settle();
    expect(venue.placements).toHaveLength(4);
  });
});

describe('order manager: venue refusals', () => {
  it('retries a rate-limited placement with the same client order id after a backoff', async () => {
    const { host, venue, journal } = setup({ retryBackoffMs: 300 });
    let refusals = 2;
    venue.placePolicy = () => (refusals-- > 0 ? { kind: 'reject', category: 'rate-limited' } : { kind: 'accept' });
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    const id = journal.ofType('OrderPlaced')[0]?.data.clientOrderId;
    expect(venue.placements.map((p) => p.clientOrderId)).toEqual([id]);
    expect(journal.types()).toEqual(['OrderPlaced']);
    await host.advance(299);
    expect(venue.placements).toHaveLength(1);
    await host.advance(1);
    expect(venue.placements.map((p) => p.clientOrderId)).toEqual([id, id]);
    await host.advance(599); // the second backoff doubles
    expect(venue.placements).toHaveLength(2);
    await host.advance(1);
    expect(venue.placements.map((p) => p.clientOrderId)).toEqual([id, id, id]);
    expect(journal.types()).toEqual(['OrderPlaced', 'OrderAcknowledged']);
    expect(venue.violations).toEqual([]);
  });

  it('gives up after maxPlaceAttempts and records the rejection with its category', async () => {
    const { host, venue, journal } = setup({ retryBackoffMs: 100, maxPlaceAttempts: 3 });
    venue.placePolicy = () => ({ kind: 'reject', category: 'rate-limited' });
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    await host.advance(10_000);
    expect(venue.placements).toHaveLength(3);
    const rejected = journal.ofType('OrderRejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.data).toMatchObject({ category: 'rate-limited', rule: 'quote-ladder' });
    expect(rejected[0]?.data.reason).toMatch(/gave up after 3 attempts/);
    // The level is not placed again before the next decision.
    await host.advance(60_000);
    expect(venue.placements).toHaveLength(3);
  });

  it('a rejected level is not placed again before the next decision (no rejection loop)', async () => {
    const { host, venue, journal } = setup();
    venue.placePolicy = () => ({ kind: 'reject', category: 'post-only-would-cross' });
    await host.decide(ladder());
    await host.settle();
    await host.advance(30_000);
    expect(venue.placements).toHaveLength(4);
    expect(journal.ofType('OrderRejected').map((e) => e.data.category)).toEqual(['post-only-would-cross', 'post-only-would-cross', 'post-only-would-cross', 'post-only-would-cross']);
    expect(host.signals).toEqual([]);
  });

  it('on a network failure: pauses (venue-down), places nothing, probes on the clock, cancels everything once the venue answers, then reports it up', async () => {
    const { host, venue, journal, manager } = setup({ venueProbeIntervalMs: 1_000 });
    await host.decide(ladder());
    await host.settle();
    expect(venue.live.size).toBe(4);
    venue.placePolicy = () => ({ kind: 'ghost' }); // the venue took it, but our request timed out
    await host.decide(target([q(0, '59900', '0.001'), q(1, '59990', '0.001')], [q(0, '60005', '0.001'), q(1, '60010', '0.001')]));
    await host.settle();
    const rejected = journal.ofType('OrderRejected');
    expect(rejected.map((e) => e.data.category)).toEqual(['network']);
    expect(host.signals.map((s) => s.type)).toEqual(['venue-down']);
    expect(host.paused).toBe('venue-unavailable');
    expect(manager.snapshot().venue).toBe('down');

    venue.connected = false;
    venue.placePolicy = () => ({ kind: 'accept' });
    const placements = venue.placements.length;
    await host.decide(ladder()); // a decision while down is not acted on
    await host.advance(1_000); // first probe fails
    expect(venue.fetchCalls).toBe(1);
    await host.advance(1_000);
    expect(venue.fetchCalls).toBe(1); // backoff doubled
    await host.advance(1_000);
    expect(venue.fetchCalls).toBe(2);
    expect(venue.placements.length).toBe(placements);

    venue.connected = true;
    await host.advance(4_000);
    // Everything is gone: the log's open orders and the order whose outcome was unknown.
    expect(venue.live.size).toBe(0);
    expect(journal.openOrders().size).toBe(0);
    const ghost = rejected[0]?.data.clientOrderId;
    expect(journal.ofType('ReconciliationCorrected').map((e) => e.data.subject)).toEqual([`order ${ghost}`]);
    expect(host.signals.map((s) => s.type)).toEqual(['venue-down', 'venue-up']);
    expect(host.paused).toBeNull();
    expect(venue.placements.length).toBe(placements);
    // Quoting again needs a new decision.
    await host.decide(ladder());
    await host.settle();
    expect(venue.live.size).toBe(4);
    expect(venue.violations).toEqual([]);
  });

  it("a 'duplicate-order' refusal means the venue holds an order with that id: it is rejected in the log and cancelled at the venue", async () => {
    const { host, venue, journal } = setup();
    venue.placePolicy = (o) => {
      // The venue already has this id (e.g. an earlier attempt did land) and refuses the new one.
      venue.live.set(o.clientOrderId, { clientOrderId: o.clientOrderId, venueOrderId: 'v-dup', symbol: o.symbol, side: o.side, price: o.price, amount: o.amount, remaining: Number(o.amount), ts: host.clock.now() });
      return { kind: 'reject', category: 'duplicate-order' };
    };
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    expect(journal.ofType('OrderRejected')[0]?.data.category).toBe('duplicate-order');
    expect(venue.live.size).toBe(0);
    expect(journal.ofType('ReconciliationCorrected')[0]?.data).toMatchObject({ venueSays: 'open', action: 'cancelled at the venue' });
    expect(host.signals).toEqual([]);
  });

  it('a placement call that throws is a network failure for each of its orders', async () => {
    const { host, venue, journal } = setup();
    venue.placeOrders = () => Promise.reject(new Error('socket hang up'));
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    expect(journal.ofType('OrderRejected')[0]?.data).toMatchObject({ category: 'network' });
    expect(host.signals.map((s) => s.type)).toEqual(['venue-down']);
  });

  it('on insufficient funds: places the level again at half the size, recorded as OrderRejected + OrderPlaced with the rule', async () => {
    const { host, venue, journal } = setup();
    // The account can afford a bid of at most 0.0003 BTC (~18 USDT).
    venue.placePolicy = (o) => (o.side === 'buy' && Number(o.amount) > 0.0003 ? { kind: 'reject', category: 'insufficient-funds' } : { kind: 'accept' });
    await host.decide(ladder());
    await host.settle();
    const bids = journal.ofType('OrderPlaced').filter((e) => e.data.side === 'buy');
    // 0.001 refused (both levels), then 0.0005 refused, then 0.00025 accepted on both levels.
    expect(bids.map((e) => e.data.amount)).toEqual(['0.001', '0.001', '0.0005', '0.0005', '0.00025', '0.00025']);
    expect(bids[2]?.data.rule).toMatch(/^insufficient-funds: buy size capped at 0\.0005 \(wanted 0\.001; order pair-test-r\d+ refused for 0\.001\)$/);
    const rejected = journal.ofType('OrderRejected');
    expect(rejected.map((e) => e.data.category)).toEqual(Array(4).fill('insufficient-funds'));
    expect(rejected[0]?.data.reason).toMatch(/buy size cut to 0\.0005 \(half of 0\.001, lot 0\.00001\)/);
    // Every refused order was recorded before its smaller replacement was sent.
    const types = journal.types();
    expect(types.indexOf('OrderRejected')).toBeLessThan(journal.events.findIndex((e) => e.type === 'OrderPlaced' && e.data.amount === '0.0005'));
    expect(host.signals).toEqual([]);
    expect(host.paused).toBeNull();
    expect([...venue.live.values()].filter((o) => o.side === 'buy').map((o) => o.amount)).toEqual(['0.00025', '0.00025']);
    // The next decision keeps the cap: no new refusal.
    await host.decide(ladder('59900'));
    await host.settle();
    expect(journal.ofType('OrderRejected')).toHaveLength(4);
    expect(journal.ofType('OrderPlaced').at(-1)?.data).toMatchObject({ side: 'buy', price: '59900', amount: '0.00025' });
    expect(venue.violations).toEqual([]);
  });

  it('on insufficient funds that persist down to the minimum notional: signals the pause', async () => {
    const { host, venue, journal } = setup();
    venue.placePolicy = (o) => (o.side === 'buy' ? { kind: 'reject', category: 'insufficient-funds' } : { kind: 'accept' });
    await host.decide(ladder());
    await host.settle();
    const bids = journal.ofType('OrderPlaced').filter((e) => e.data.side === 'buy').map((e) => e.data.amount);
    // Halving 0.001 at ~60000: 0.0005, 0.00025, 0.00012; half of that (3.6 USDT) is under the 5 USDT minimum notional.
    expect([...new Set(bids)]).toEqual(['0.001', '0.0005', '0.00025', '0.00012']);
    expect(journal.ofType('OrderRejected').at(-1)?.data.reason).toMatch(/under the lot \(0\.00001\) or the minimum notional \(5\): pausing$/);
    expect(host.signals).toEqual([{ type: 'refused', reason: 'insufficient-funds', detail: expect.stringContaining('insufficient-funds') }]);
    expect(host.paused).toBe('insufficient-funds');
    // The host paused the pair: the accepted asks are cancelled.
    expect(venue.live.size).toBe(0);
  });

  it("a cancel answered 'failed' (not confirmed) is sent again after a backoff; the others of the batch are recorded at once", async () => {
    const { host, venue, journal } = setup({ retryBackoffMs: 100 });
    await host.decide(target([q(0, '59995', '0.001')], [q(0, '60005', '0.001')]));
    await host.settle();
    const [bidId] = journal.ofType('OrderPlaced').map((e) => e.data.clientOrderId);
    let failures = 0;
    venue.cancelPolicy = (id) => (id === bidId && failures++ < 2 ? 'rate-limited' : undefined);
    await host.cancelAll('operator pause');
    await host.settle();
    // The ask is cancelled; the bid is still live at the venue and open in the log.
    expect(journal.ofType('OrderCancelled').map((e) => e.data.clientOrderId)).not.toContain(bidId);
    expect(venue.live.has(bidId!)).toBe(true);
    expect(journal.openOrders().has(bidId!)).toBe(true);
    await host.advance(100);
    await host.advance(200);
    await host.settle();
    expect(venue.cancels.filter((c) => c.ids.includes(bidId!))).toHaveLength(3);
    expect(journal.ofType('OrderCancelled').map((e) => e.data.clientOrderId)).toContain(bidId);
    expect(venue.live.size).toBe(0);
    expect(host.signals).toEqual([]);
  });

  it("a cancel answered 'failed' for a network reason pauses the pair as venue-unavailable", async () => {
    const { host, venue } = setup();
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    venue.cancelPolicy = () => 'network';
    await host.decide(target([q(0, '59900', '0.001')], []));
    await host.settle();
    expect(host.signals.map((s) => s.type)).toEqual(['venue-down']);
  });

  it("on an action 'halt' refusal (credentials): records it and signals a venue-error pause", async () => {
    const { host, venue } = setup();
    venue.placePolicy = () => ({ kind: 'reject', category: 'auth' });
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    expect(host.signals.map((s) => s.type === 'refused' && s.reason)).toEqual(['venue-error']);
  });
});

describe('order manager: in flight', () => {
  it('a cancel of an in-flight order waits for its acknowledgement', async () => {
    const { host, venue, journal } = setup();
    venue.mode = 'manual';
    await host.decide(ladder());
    await host.settle();
    expect(venue.pending.map((c) => c.kind)).toEqual(['place']);
    await host.cancelAll('Paused');
    await host.settle();
    expect(venue.cancels).toHaveLength(0);
    venue.answerNext('place');
    await host.settle();
    expect(journal.ofType('OrderAcknowledged')).toHaveLength(4);
    expect(venue.cancels).toHaveLength(1);
    venue.answerNext('cancel');
    await host.settle();
    expect(journal.openOrders().size).toBe(0);
    expect(venue.violations).toEqual([]);
  });

  it('a fill before the acknowledgement is fine: the ack is still recorded and a full fill is never cancelled', async () => {
    const { host, venue, journal } = setup();
    venue.mode = 'manual';
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    venue.answerNext('place');
    const id = [...venue.live.keys()][0]!;
    const fill = venue.fill(id, 1);
    await host.recordFill(fill!);
    await host.settle();
    await host.cancelAll('Paused');
    await host.settle();
    expect(venue.cancels).toHaveLength(0);
    expect(journal.types()).toEqual(['OrderPlaced', 'OrderFilled', 'OrderAcknowledged']);
  });
});

describe('order manager: stop', () => {
  it('cancels everything, records the confirmations, and sends nothing from the moment the stop begins (not a deferred order, not a retry)', async () => {
    const { host, venue, journal, manager } = setup({ pairOrderBurst: 2, pairOrdersPerSecond: 1, retryBackoffMs: 100 });
    let first = true;
    venue.placePolicy = () => (first ? ((first = false), { kind: 'reject', category: 'rate-limited' }) : { kind: 'accept' });
    await host.decide(ladder());
    await host.settle();
    // One order waits for its retry, two levels wait for tokens.
    expect(venue.placements).toHaveLength(2);
    manager.beginStop();
    venue.stopAt = host.clock.now();
    await host.run(() => manager.stop('stop'));
    await host.advance(10_000);
    expect(venue.violations).toEqual([]);
    expect(venue.live.size).toBe(0);
    expect(journal.openOrders().size).toBe(0);
    expect(journal.ofType('OrderCancelled').map((e) => e.data.reason)).toEqual(['stop']);
    expect(journal.ofType('OrderRejected')[0]?.data.reason).toMatch(/not retried: stop/);
  });

  it('waits for in-flight placements, then cancels them', async () => {
    const { host, venue, journal, manager } = setup();
    venue.mode = 'manual';
    await host.decide(ladder());
    await host.settle();
    manager.beginStop();
    let done = false;
    void host.run(() => manager.stop('stop')).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    venue.answerNext('place');
    await new Promise((r) => setImmediate(r));
    venue.answerNext('cancel');
    await host.settle();
    expect(done).toBe(true);
    expect(venue.live.size).toBe(0);
    expect(journal.ofType('OrderCancelled')).toHaveLength(4);
  });

  it('after stopTimeoutMs without confirmation: records RiskLimitBreached, leaves the orders open in the log, sends a last cancel-all', async () => {
    const { host, venue, journal, manager } = setup({ stopTimeoutMs: 2_000 });
    await host.decide(ladder());
    await host.settle();
    venue.mode = 'manual';
    manager.beginStop();
    let report: { unconfirmed: readonly string[] } | null = null;
    void host.run(async () => {
      report = await manager.stop('stop');
    });
    await new Promise((r) => setImmediate(r));
    expect(venue.cancels).toHaveLength(1);
    host.clock.advanceTo(host.clock.now() + 2_000);
    await host.settle();
    expect(report!.unconfirmed).toHaveLength(4);
    const breach = journal.ofType('RiskLimitBreached');
    expect(breach[0]?.data).toMatchObject({ limit: 'stop-cancel-confirmation', threshold: '2000 ms' });
    expect(journal.openOrders().size).toBe(4);
    expect(venue.cancelAllCalls).toBe(1);
    expect(venue.live.size).toBe(0);
  });

  it('an order acknowledged after the stop completed is cancelled at once, and nothing is recorded', async () => {
    const { host, venue, journal, manager } = setup({ stopTimeoutMs: 1_000 });
    venue.mode = 'manual';
    await host.decide(target([q(0, '59995', '0.001')], []));
    await host.settle();
    manager.beginStop();
    void host.run(() => manager.stop('stop'));
    await new Promise((r) => setImmediate(r));
    host.clock.advanceTo(host.clock.now() + 1_000);
    await host.settle();
    const recorded = journal.events.length;
    venue.mode = 'auto';
    venue.answerNext('place');
    await host.settle();
    venue.answerAll();
    await host.settle();
    expect(venue.live.size).toBe(0);
    expect(journal.events.length).toBe(recorded);
  });
});
