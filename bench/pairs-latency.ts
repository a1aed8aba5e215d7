import { mkdtempSync, rmSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../src/clock/clock.js';
import { StrategyParamsSchema } from '../src/config/strategy-params.js';
import { silentLogger } from '../src/log/logger.js';
import { recordedMarketEvents } from '../src/market-data/binance-recording.js';
import type { MarketEvent } from '../src/market-data/market-event.js';
import { Supervisor } from '../src/service/supervisor.js';
import { MemoryEventStore } from '../src/store/memory-event-store.js';
import { SqliteEventStore } from '../src/store/sqlite-event-store.js';
import { SimulatedVenue, VENUE_BOOK_DEPTH } from '../src/venues/simulated-venue.js';
import type { MarketSpec } from '../src/venues/venue.js';
import type { Figure } from './measure.js';

/**
 * Many pairs in one process: every pair gets the same replayed market (the
 * bundled recording, its symbol renamed per pair) on one simulated venue,
 * supervised as in the service, with a durable-enough SQLite store
 * (sync=normal). Each recorded event reaches all pairs at once, so a pair's
 * tick-to-quote (book into its inbox -> quote recorded and handed to the
 * order manager, PairRuntime `latency.tickToQuote`) includes waiting behind
 * the others on the one event loop, as in production.
 */
const MAX_EVENTS = Number(process.env.BENCH_PAIRS_EVENTS ?? 800);
/** The first events only warm up (JIT, SQLite pages): their samples are left out. */
const WARMUP_FRACTION = 0.1;

interface RunResult {
  readonly samples: number[];
  readonly rssPerPairKiB: number;
}

async function loadEvents(dataPath: string): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const e of recordedMarketEvents(dataPath, { depth: VENUE_BOOK_DEPTH })) {
    if (e.kind !== 'book' && e.kind !== 'trade') continue;
    out.push(e);
    if (out.length >= MAX_EVENTS) break;
  }
  return out;
}

// A full collection before each RSS reading, without asking the caller for --expose-gc.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
const gc = (): void => {
  collect();
  collect();
};

type StoreKind = 'sqlite' | 'memory';

async function runPairs(events: readonly MarketEvent[], pairs: number, dir: string, tag: string, storeKind: StoreKind = 'sqlite'): Promise<RunResult> {
  const first = events[0];
  if (!first) throw new Error('no market events in the recording');
  gc();
  const rss0 = process.memoryUsage().rss;
  const clock = new VirtualClock(first.ts);
  const store = storeKind === 'memory' ? new MemoryEventStore() : SqliteEventStore.open(join(dir, `pairs-${tag}.db`), { synchronous: 'normal' });
  const markets: MarketSpec[] = Array.from({ length: pairs }, (_, i) => ({
    venue: 'binance',
    symbol: `P${String(i).padStart(3, '0')}USDT`,
    base: `P${String(i).padStart(3, '0')}`,
    quote: 'USDT',
    tickSize: '0.01',
    lotSize: '0.00001',
    minNotional: '5',
    makerFee: '0.0001',
    takerFee: '0.0004',
  }));
  const venue = new SimulatedVenue({ id: 'binance', markets, clock });
  const samples: number[] = [];
  let measuring = false;
  const supervisor = new Supervisor({
    store,
    clock,
    logger: silentLogger(),
    instanceId: `bench-${tag}`,
    mode: 'backtest',
    observer: { observeTickToQuote: (_pair, ms) => {
        if (measuring) samples.push(ms);
      }, observeAppend: () => undefined },
  });
  const params = StrategyParamsSchema.parse({});
  for (const market of markets) {
    const id = `binance-${market.base}_USDT`;
    await supervisor.add({ pairId: id, stream: `pair-${id}`, market, params }, venue);
  }
  const all = supervisor.all();
  const warmup = Math.floor(events.length * WARMUP_FRACTION);
  for (const [i, e] of events.entries()) {
    measuring = i >= warmup;
    clock.advanceTo(e.ts);
    for (const m of markets) venue.onMarketEvent({ ...e, symbol: m.symbol } as MarketEvent);
    await Promise.all(all.map((s) => supervisor.drain(s.pairId)));
  }
  gc();
  const rss1 = process.memoryUsage().rss;
  await supervisor.stopAll('bench over');
  await store.close();
  return { samples, rssPerPairKiB: Math.max(0, rss1 - rss0) / pairs / 1024 };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Tick-to-quote p50/p99/p99.9 in µs with 100 pairs at once (beside one pair alone), and RSS per pair. */
export async function pairsLatency(dataPath: string, runs: number, pairs = 100): Promise<Figure[]> {
  const events = await loadEvents(dataPath);
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-pairs-'));
  try {
    const many: { p50: number; p99: number; p999: number; rss: number; n: number }[] = [];
    const one: { p50: number; p99: number; p999: number }[] = [];
    const inMemory: { p50: number; p99: number; p999: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const single = await runPairs(events, 1, dir, `one-${r}`);
      const s1 = [...single.samples].sort((a, b) => a - b);
      one.push({ p50: percentile(s1, 50), p99: percentile(s1, 99), p999: percentile(s1, 99.9) });
      const res = await runPairs(events, pairs, dir, `many-${r}`);
      const s = [...res.samples].sort((a, b) => a - b);
      many.push({ p50: percentile(s, 50), p99: percentile(s, 99), p999: percentile(s, 99.9), rss: res.rssPerPairKiB, n: s.length });
      // The same without the store's appends: how much of the latency is the log.
      const mem = await runPairs(events, pairs, dir, `mem-${r}`, 'memory');
      const sm = [...mem.samples].sort((a, b) => a - b);
      inMemory.push({ p50: percentile(sm, 50), p99: percentile(sm, 99), p999: percentile(sm, 99.9) });
    }
    const us = (ms: number) => ms * 1000;
    const m = (k: 'p50' | 'p99' | 'p999') => us(median(many.map((x) => x[k])));
    const o = (k: 'p50' | 'p99' | 'p999') => us(median(one.map((x) => x[k])));
    const label = { p50: 'p50', p99: 'p99', p999: 'p99.9' } as const;
    const figures: Figure[] = (['p50', 'p99', 'p999'] as const).map((k) => ({
      name: `tick-to-quote ${label[k]}, ${pairs} pairs, each tick to all at once (sqlite sync=normal)`,
      value: m(k),
      unit: 'µs',
      baseline: { name: `1 pair alone (${Math.round(o(k)).toLocaleString('en-US')} µs)`, value: o(k) },
    }));
    const mm = (k: 'p50' | 'p99' | 'p999') => us(median(inMemory.map((x) => x[k])));
    for (const k of ['p50', 'p99', 'p999'] as const) figures.push({ name: `tick-to-quote ${label[k]}, ${pairs} pairs, each tick to all at once (memory store)`, value: mm(k), unit: 'µs' });
    figures.push({ name: `RSS per pair, ${pairs} pairs (${events.length} events each, log in sqlite)`, value: median(many.map((x) => x.rss)), unit: 'KiB' });
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
