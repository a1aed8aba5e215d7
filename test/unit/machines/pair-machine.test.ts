import { describe, expect, it } from '@jest/globals';
import { D } from '../../../src/core/decimal.js';
import { pairHarness, T0 } from './pair-machine-harness.js';

/**
 * One test per arrow of the state table in DESIGN.md ("The pair actor"),
 * each asserting the recorded event, its reason and its numbers.
 */
describe('pair machine: starting', () => {
  it('starting -> quoting on START, recording QuotingStarted', () => {
    const h = pairHarness();
    expect(h.state()).toBe('starting');
    h.start();
    expect(h.state()).toBe('quoting');
    expect(h.last('QuotingStarted')?.data).toMatchObject({ from: 'starting', to: 'quoting' });
  });

  it('starting -> liquidating when the rebuilt position is beyond the hard limit', () => {
    const h = pairHarness({ position: '0.09' });
    h.start();
    expect(h.state()).toBe('liquidating');
    expect(h.last('LiquidationStarted')?.data).toMatchObject({ from: 'starting', to: 'liquidating', position: '0.09', hardLimit: '0.08', targetPosition: '0.05', excess: '0.04' });
  });

  it('starting -> paused when the feed is already broken', () => {
    const h = pairHarness();
    h.send({ type: 'FEED_PROBLEM', ts: T0, problem: 'gap', detail: 'expected U=11 got U=15' });
    h.start(T0 + 1);
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ from: 'starting', reason: 'feed-problem' });
  });

  it('starting -> paused on an operator pause', () => {
    const h = pairHarness();
    h.send({ type: 'OPERATOR_PAUSE', ts: T0, identity: 'alice', reason: 'maintenance' });
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ from: 'starting', reason: 'operator', detail: 'alice: maintenance' });
  });
});

describe('pair machine: quoting', () => {
  it('decides quotes on a book and records the inputs it used', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    const q = h.last('QuoteDecided');
    expect(q).toBeDefined();
    expect(q?.data.inputs).toMatchObject({ bestBid: '60000', bestAsk: '60000.02', position: '0', reduceOnly: false });
    for (const bid of q?.data.output.bids ?? []) expect(Number(bid.price)).toBeLessThan(60_000.02);
    for (const ask of q?.data.output.asks ?? []) expect(Number(ask.price)).toBeGreaterThan(60_000);
    expect(q?.data.output.bids.length).toBeGreaterThan(0);
  });

  it('does not record a decision that changes nothing', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.book(T0 + 1_000, 60_000, 60_000.02);
    expect(h.types().filter((t) => t === 'QuoteDecided')).toHaveLength(1);
  });

  it('quoting -> shock-cooldown when the price moves beyond the threshold inside the window', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.book(T0 + 2_000, 61_500, 61_500.02);
    expect(h.state()).toBe('shock-cooldown');
    const shock = h.last('ShockDetected')?.data;
    expect(shock).toMatchObject({ from: 'quoting', to: 'shock-cooldown', thresholdPct: 2, windowMs: 5_000, cooldownUntil: T0 + 2_000 + 30_000, rearms: 0 });
    expect(shock?.movePct).toBeCloseTo(2.5, 1);
  });

  it('a move spread over more than the window is not a shock', () => {
    const h = pairHarness();
    h.start();
    h.book(T0, 60_000, 60_000.02);
    h.book(T0 + 4_000, 60_700, 60_700.02);
    h.book(T0 + 9_000, 61_300, 61_300.02);
    h.book(T0 + 14_000, 61_900, 61_900.02);
    expect(h.state()).toBe('quoting');
  });

  it('quoting -> liquidating on a fill that takes the position beyond the hard limit', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.position(T0 + 200, '-0.1');
    expect(h.state()).toBe('liquidating');
    expect(h.last('LiquidationStarted')?.data).toMatchObject({ from: 'quoting', position: '-0.1', targetPosition: '-0.05', excess: '0.05' });
  });

  it('quoting -> paused when the feed goes stale, with its age', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.heartbeat(T0 + 4_000);
    expect(h.state()).toBe('quoting');
    h.heartbeat(T0 + 6_000);
    expect(h.state()).toBe('paused');
    expect(h.last('FeedStale')?.data).toEqual({ lastDataTs: T0 + 100, ageMs: 5_900, maxAgeMs: 5_000 });
    expect(h.last('Paused')?.data).toMatchObject({ from: 'quoting', reason: 'feed-stale', numbers: { ageMs: 5_900, maxAgeMs: 5_000 } });
  });

  it('quoting -> paused on a book gap or a crossed book', () => {
    for (const problem of ['gap', 'crossed'] as const) {
      const h = pairHarness();
      h.start();
      h.book(T0 + 100, 60_000, 60_000.02);
      h.send({ type: 'FEED_PROBLEM', ts: T0 + 200, problem, detail: 'detail' });
      expect(h.state()).toBe('paused');
      expect(h.last('FeedProblemDetected')?.data).toEqual({ problem, detail: 'detail' });
      expect(h.last('Paused')?.data).toMatchObject({ reason: 'feed-problem', detail: `${problem}: detail` });
    }
  });

  it('quoting -> paused on operator pause, fencing and store failure', () => {
    const cases = [
      [{ type: 'OPERATOR_PAUSE', ts: T0 + 1, identity: 'bob', reason: 'news' }, 'operator'],
      [{ type: 'FENCED', ts: T0 + 1, detail: 'another instance claimed the stream' }, 'fenced'],
      [{ type: 'STORE_FAILED', ts: T0 + 1, detail: 'disk full' }, 'store-failure'],
    ] as const;
    for (const [event, reason] of cases) {
      const h = pairHarness();
      h.start();
      h.send(event);
      expect(h.state()).toBe('paused');
      expect(h.last('Paused')?.data).toMatchObject({ from: 'quoting', reason });
    }
  });
});

describe('pair machine: paused', () => {
  it('paused -> quoting by itself when fresh data follows a stale feed', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.heartbeat(T0 + 6_000);
    h.book(T0 + 7_000, 60_000, 60_000.02);
    expect(h.state()).toBe('quoting');
    expect(h.last('FeedRecovered')?.data).toMatchObject({ problem: 'stale', downForMs: 1_000 });
    expect(h.last('Resumed')?.data).toMatchObject({ from: 'paused', to: 'quoting', reason: 'feed-stale' });
  });

  it('paused -> quoting by itself when the book is resynced after a gap', () => {
    const h = pairHarness();
    h.start();
    h.send({ type: 'FEED_PROBLEM', ts: T0 + 200, problem: 'gap', detail: 'x' });
    h.book(T0 + 300, 60_000, 60_000.02);
    expect(h.state()).toBe('paused');
    h.send({ type: 'FEED_RECOVERED', ts: T0 + 400, detail: 'new snapshot' });
    expect(h.state()).toBe('quoting');
    expect(h.last('FeedRecovered')?.data).toMatchObject({ problem: 'gap', downForMs: 200 });
  });

  it('an operator pause does not clear by itself; an operator resume clears it', () => {
    const h = pairHarness();
    h.start();
    h.send({ type: 'OPERATOR_PAUSE', ts: T0 + 1, identity: 'bob', reason: 'news' });
    h.book(T0 + 100, 60_000, 60_000.02);
    expect(h.state()).toBe('paused');
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 200, identity: 'bob', reason: 'done' });
    expect(h.state()).toBe('quoting');
    expect(h.last('Resumed')?.data).toMatchObject({ reason: 'operator' });
  });

  it('an operator resume is refused while the feed is broken, and recorded', () => {
    const h = pairHarness();
    h.start();
    h.send({ type: 'OPERATOR_PAUSE', ts: T0 + 1, identity: 'bob', reason: 'news' });
    h.send({ type: 'FEED_PROBLEM', ts: T0 + 2, problem: 'crossed', detail: 'bid 10 >= ask 9' });
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 3, identity: 'bob', reason: 'go' });
    expect(h.state()).toBe('paused');
    expect(h.last('RiskLimitBreached')?.data).toMatchObject({ limit: 'feed-health', value: 'feed-problem' });
    h.send({ type: 'FEED_RECOVERED', ts: T0 + 4, detail: 'uncrossed' });
    expect(h.state()).toBe('quoting');
  });
});

describe('pair machine: shock-cooldown', () => {
  const shocked = () => {
    const h = pairHarness();
    h.start();
    h.book(T0, 60_000, 60_000.02);
    h.book(T0 + 1_000, 61_500, 61_500.02);
    expect(h.state()).toBe('shock-cooldown');
    return h;
  };

  it('shock-cooldown -> quoting after the cooldown when the price holds within the band', () => {
    const h = shocked();
    h.book(T0 + 20_000, 61_700, 61_700.02);
    h.advance(T0 + 30_999);
    expect(h.state()).toBe('shock-cooldown');
    h.advance(T0 + 31_000);
    expect(h.state()).toBe('quoting');
    const cleared = h.last('ShockCleared')?.data;
    expect(cleared).toMatchObject({ from: 'shock-cooldown', to: 'quoting', referencePrice: '61500.01', resumeBandPct: 0.5 });
    expect(cleared?.distancePct).toBeLessThan(0.5);
  });

  it('no quotes are decided during the cooldown', () => {
    const h = shocked();
    h.clear();
    h.book(T0 + 5_000, 61_600, 61_600.02);
    h.book(T0 + 10_000, 61_650, 61_650.02);
    expect(h.types()).not.toContain('QuoteDecided');
  });

  it('re-arms when the price is outside the band, and pauses after maxRearms', () => {
    const h = shocked();
    let price = 61_500;
    for (let rearm = 1; rearm <= 3; rearm++) {
      price *= 1.01;
      const end = T0 + 1_000 + rearm * 30_000;
      h.book(end - 100, price, price + 0.02);
      h.advance(end);
      expect(h.state()).toBe('shock-cooldown');
      expect(h.last('ShockDetected')?.data).toMatchObject({ from: 'shock-cooldown', rearms: rearm, cooldownUntil: end + 30_000 });
    }
    h.book(T0 + 1_000 + 4 * 30_000 - 100, price * 1.01, price * 1.01 + 0.02);
    h.advance(T0 + 1_000 + 4 * 30_000);
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ from: 'shock-cooldown', reason: 'shock-rearms-exhausted', numbers: { rearms: 3 } });
  });

  it('shock-cooldown -> paused at the end of the cooldown when the feed is broken', () => {
    const h = shocked();
    h.send({ type: 'FEED_PROBLEM', ts: T0 + 2_000, problem: 'gap', detail: 'x' });
    h.advance(T0 + 31_000);
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ from: 'shock-cooldown', reason: 'feed-problem' });
  });
});

describe('pair machine: liquidating', () => {
  it('decides reduce-only quotes on the reducing side only', () => {
    const h = pairHarness({ position: '0.09' });
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    const q = h.last('QuoteDecided')?.data;
    expect(q?.inputs.reduceOnly).toBe(true);
    expect(q?.output.bids).toHaveLength(0);
    expect(q?.output.asks).toHaveLength(1);
    expect(D(q?.output.asks[0]?.amount ?? '0').toNumber()).toBeCloseTo(0.04, 8);
  });

  it('liquidating -> quoting once the position is back within maxPosition', () => {
    const h = pairHarness({ position: '0.09' });
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.position(T0 + 200, '0.05');
    expect(h.state()).toBe('quoting');
    expect(h.last('LiquidationCompleted')?.data).toEqual({ from: 'liquidating', to: 'quoting', position: '0.05', maxPosition: '0.05' });
  });

  it('liquidating -> paused when the feed goes stale or breaks', () => {
    const h = pairHarness({ position: '0.09' });
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.heartbeat(T0 + 6_000);
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ from: 'liquidating', reason: 'feed-stale' });

    const g = pairHarness({ position: '0.09' });
    g.start();
    g.send({ type: 'FEED_PROBLEM', ts: T0 + 1, problem: 'gap', detail: 'x' });
    expect(g.last('Paused')?.data).toMatchObject({ from: 'liquidating', reason: 'feed-problem' });
  });
});

describe('pair machine: stopped', () => {
  it('every state -> stopped on STOP, recording the state it left', () => {
    const setups: Array<[string, () => ReturnType<typeof pairHarness>]> = [
      ['starting', () => pairHarness()],
      ['quoting', () => { const h = pairHarness(); h.start(); return h; }],
      ['paused', () => { const h = pairHarness(); h.start(); h.send({ type: 'OPERATOR_PAUSE', ts: T0 + 1, identity: 'a', reason: 'r' }); return h; }],
      ['shock-cooldown', () => { const h = pairHarness(); h.start(); h.book(T0, 60_000, 60_000.02); h.book(T0 + 1, 62_000, 62_000.02); return h; }],
      ['liquidating', () => { const h = pairHarness({ position: '0.09' }); h.start(); return h; }],
    ];
    for (const [from, make] of setups) {
      const h = make();
      expect(h.state()).toBe(from);
      h.send({ type: 'STOP', ts: T0 + 10, reason: 'shutdown', openOrders: 0 });
      expect(h.state()).toBe('stopped');
      expect(h.last('PairStopped')?.data).toMatchObject({ from, to: 'stopped', reason: 'shutdown' });
      expect(h.actor.getSnapshot().status).toBe('done');
      expect(h.errors).toEqual([]);
    }
  });
});

describe('pair machine: the venue (order manager signals)', () => {
  it('quoting, shock-cooldown and liquidating -> paused (venue-unavailable) on VENUE_DOWN, with the detail and since', () => {
    const setups: Array<[string, () => ReturnType<typeof pairHarness>]> = [
      ['quoting', () => { const h = pairHarness(); h.start(); h.book(T0, 60_000, 60_000.02); return h; }],
      ['shock-cooldown', () => { const h = pairHarness(); h.start(); h.book(T0, 60_000, 60_000.02); h.book(T0 + 1, 62_000, 62_000.02); return h; }],
      ['liquidating', () => { const h = pairHarness({ position: '0.09' }); h.start(); h.book(T0, 60_000, 60_000.02); return h; }],
    ];
    for (const [from, make] of setups) {
      const h = make();
      expect(h.state()).toBe(from);
      h.send({ type: 'VENUE_DOWN', ts: T0 + 100, detail: 'network: ETIMEDOUT' });
      expect(h.state()).toBe('paused');
      expect(h.last('Paused')?.data).toEqual({ from, to: 'paused', reason: 'venue-unavailable', detail: 'network: ETIMEDOUT', numbers: { since: T0 + 100 } });
    }
  });

  it('paused (venue-unavailable) -> quoting by itself on VENUE_UP, and quotes afresh', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.send({ type: 'VENUE_DOWN', ts: T0 + 200, detail: 'network' });
    h.book(T0 + 300, 60_000, 60_000.02);
    expect(h.state()).toBe('paused');
    h.clear();
    h.send({ type: 'VENUE_UP', ts: T0 + 400, detail: 'everything cancelled' });
    expect(h.state()).toBe('quoting');
    expect(h.types()).toEqual(['Resumed', 'QuoteDecided']);
    expect(h.last('Resumed')?.data).toMatchObject({ from: 'paused', to: 'quoting', reason: 'venue-unavailable' });
  });

  it('a venue down while paused for a stale feed blocks the auto-resume until VENUE_UP', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.heartbeat(T0 + 6_000);
    expect(h.last('Paused')?.data.reason).toBe('feed-stale');
    h.send({ type: 'VENUE_DOWN', ts: T0 + 6_100, detail: 'network' });
    expect(h.types().filter((t) => t === 'Paused')).toHaveLength(1);
    h.book(T0 + 7_000, 60_000, 60_000.02);
    expect(h.state()).toBe('paused');
    h.send({ type: 'VENUE_UP', ts: T0 + 8_000, detail: 'ok' });
    expect(h.state()).toBe('quoting');
    expect(h.last('Resumed')?.data.reason).toBe('feed-stale');
  });

  it('an operator resume is refused while the venue is down, and recorded; VENUE_UP then resumes', () => {
    const h = pairHarness();
    h.start();
    h.book(T0 + 100, 60_000, 60_000.02);
    h.send({ type: 'OPERATOR_PAUSE', ts: T0 + 200, identity: 'bob', reason: 'news' });
    h.send({ type: 'VENUE_DOWN', ts: T0 + 300, detail: 'network' });
    h.send({ type: 'OPERATOR_RESUME', ts: T0 + 400, identity: 'bob', reason: 'go' });
    expect(h.state()).toBe('paused');
    expect(h.last('RiskLimitBreached')?.data).toMatchObject({ limit: 'venue-health', value: 'venue-unavailable', action: 'resume by bob refused' });
    h.send({ type: 'VENUE_UP', ts: T0 + 500, detail: 'ok' });
    expect(h.state()).toBe('quoting');
  });

  it('starting -> paused when the venue went down before START', () => {
    const h = pairHarness();
    h.send({ type: 'VENUE_DOWN', ts: T0, detail: 'network' });
    h.start(T0 + 1);
    expect(h.state()).toBe('paused');
    expect(h.last('Paused')?.data).toMatchObject({ from: 'starting', reason: 'venue-unavailable', detail: 'network', numbers: { since: T0 } });
    h.book(T0 + 2, 60_000, 60_000.02);
    h.send({ type: 'VENUE_UP', ts: T0 + 3, detail: 'ok' });
    expect(h.state()).toBe('quoting');
  });

  it('VENUE_REFUSED pauses for insufficient funds or a venue error; neither clears by itself, an operator resume does', () => {
    for (const reason of ['insufficient-funds', 'venue-error'] as const) {
      const h = pairHarness();
      h.start();
      h.book(T0 + 100, 60_000, 60_000.02);
      h.send({ type: 'VENUE_REFUSED', ts: T0 + 200, reason, detail: `order x: ${reason}` });
      expect(h.state()).toBe('paused');
      expect(h.last('Paused')?.data).toMatchObject({ from: 'quoting', reason, detail: `order x: ${reason}` });
      h.book(T0 + 300, 60_000, 60_000.02);
      h.send({ type: 'VENUE_UP', ts: T0 + 400, detail: 'ok' });
      expect(h.state()).toBe('paused');
      h.send({ type: 'OPERATOR_RESUME', ts: T0 + 500, identity: 'alice', reason: 'topped up' });
      expect(h.state()).toBe('quoting');
    }
  });

  it('VENUE_REFUSED while already paused changes nothing', () => {
    const h = pairHarness();
    h.start();
    h.send({ type: 'OPERATOR_PAUSE', ts: T0 + 1, identity: 'bob', reason: 'news' });
    h.send({ type: 'VENUE_REFUSED', ts: T0 + 2, reason: 'insufficient-funds', detail: 'x' });
    expect(h.types().filter((t) => t === 'Paused')).toHaveLength(1);
    expect(h.errors).toEqual([]);
  });
});
