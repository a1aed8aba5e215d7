import { beforeAll, describe, expect, it } from '@jest/globals';
import { createReadStream, createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { projectPairs, summariseLog } from '../../projections/log-summary.js';
import type { RecordedEvent } from '../../events/envelope.js';
import { runBacktest, type BacktestResult } from '../../src/backtest/backtest-runner.js';
import { toJsonLine } from '../../src/cli/event-format.js';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { parseEngineConfig } from '../../src/config/engine-config.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import type { SimulatedVenueSettings } from '../../src/venues/simulated-venue.js';

async function backtest(dataPath: string, venue?: SimulatedVenueSettings, config: unknown = {}): Promise<{ result: BacktestResult; events: RecordedEvent[] }> {
  const store = new MemoryEventStore();
  const result = await runBacktest({ dataPath, store, config: parseEngineConfig(config, 'test'), logger: silentLogger(), ...(venue ? { venue } : {}) });
  return { result, events: await store.readAll() };
}

const filledBase = (events: readonly RecordedEvent[]): number =>
  events.reduce((sum, e) => (e.type === 'OrderFilled' ? sum + Number(e.data.amount) : sum), 0);

/** The first `lines` lines of the bundled recording's first file, as a .gz of their own (a short, real slice). */
async function slice(lines: number): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'mm-fill-models-')), 'btcusdt_slice.gz');
  const head: string[] = [];
  const rl = createInterface({ input: createReadStream(join(BUNDLED_RECORDING, 'btcusdt_20240808.gz')).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of rl) {
    head.push(line);
    if (head.length >= lines) break;
  }
  rl.close();
  await pipeline(Readable.from([`${head.join('\n')}\n`]), createGzip(), createWriteStream(out));
  return out;
}

describe('fill models on the bundled recording (Binance spot BTCUSDT, 650 s)', () => {
  let queue: BacktestResult;
  let tightQueue: RecordedEvent[];
  let tightThrough: RecordedEvent[];
  // Tight quotes sit where the book has queues, so the two models part (default quotes mostly fill on prints through them).
  // Whole runs are path-dependent (a fill changes later decisions), so this uses the full 650 s, where the model
  // difference dominates; the per-order property (through fills at least what queue fills) is in queue-model.test.ts.
  const tight = { pairs: [{ venue: 'binance', symbol: 'BTCUSDT', params: { baseSpreadBps: 1, minSpreadBps: 0.5 } }] };

  beforeAll(async () => {
    queue = (await backtest(BUNDLED_RECORDING)).result; // the default model
    tightQueue = (await backtest(BUNDLED_RECORDING, undefined, tight)).events;
    tightThrough = (await backtest(BUNDLED_RECORDING, { fillModel: 'through' }, tight)).events;
  });

  it('the default (queue) backtest gets fills', () => {
    expect(queue.pairs.BTCUSDT?.fills).toBeGreaterThan(0);
  });

  it('through (any print at or through our price, no queue) fills more volume than queue when quotes sit in the queues', () => {
    expect(filledBase(tightQueue)).toBeGreaterThan(0);
    expect(filledBase(tightThrough)).toBeGreaterThan(filledBase(tightQueue));
  });
});

describe('backtest with order and feed latency (a 20 000-line slice of the recording)', () => {
  const LATENCY = { orderLatencyMs: 25, feedLatencyMs: 10 } as const;
  let first: { result: BacktestResult; events: RecordedEvent[] };
  let second: { result: BacktestResult; events: RecordedEvent[] };

  beforeAll(async () => {
    const path = await slice(20_000);
    first = await backtest(path, LATENCY);
    second = await backtest(path, LATENCY);
  });

  it('runs to the end, quotes, gets filled and stops', () => {
    const btc = first.result.pairs.BTCUSDT;
    expect(btc?.fills).toBeGreaterThan(0);
    expect(btc?.state).toBe('stopped');
    expect(first.events.some((e) => e.type === 'PairStopped')).toBe(true);
  });

  it('is deterministic: two runs write byte-identical logs', () => {
    expect(second.events.map(toJsonLine).join('\n')).toBe(first.events.map(toJsonLine).join('\n'));
  });

  it('every ack is recorded at least one round trip (2 x 25 ms) after its order, and a replay gives the run\'s numbers', () => {
    const placedAt = new Map<string, number>();
    let acks = 0;
    for (const e of first.events) {
      if (e.type === 'OrderPlaced') placedAt.set(e.data.clientOrderId, Date.parse(e.time));
      if (e.type === 'OrderAcknowledged') {
        acks++;
        const placed = placedAt.get(e.data.clientOrderId);
        expect(placed).toBeDefined();
        expect(Date.parse(e.time) - (placed ?? 0)).toBeGreaterThanOrEqual(2 * LATENCY.orderLatencyMs);
      }
    }
    expect(acks).toBeGreaterThan(10);
    expect(summariseLog(projectPairs(first.events))).toEqual(first.result.pairs);
  });
});
