import { runBacktest } from '../src/backtest/backtest-runner.js';
import { parseEngineConfig } from '../src/config/engine-config.js';
import { silentLogger } from '../src/log/logger.js';
import { recordedMarketEvents } from '../src/market-data/binance-recording.js';
import { VENUE_BOOK_DEPTH } from '../src/venues/simulated-venue.js';
import { MemoryEventStore } from '../src/store/memory-event-store.js';
import { SqliteEventStore } from '../src/store/sqlite-event-store.js';
import { medianSeconds, type Figure } from './measure.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Backtest speed on the bundled recording, beside the floor: the same file only read, parsed and book-built. */
export async function backtestThroughput(dataPath: string, runs: number): Promise<Figure[]> {
  let events = 0;
  const floor = await medianSeconds(runs, async () => {
    events = 0;
    // The same reader settings as the backtest (the venue reads deep books for its queue model).
    for await (const _ of recordedMarketEvents(dataPath, { depth: VENUE_BOOK_DEPTH })) events++;
  });
  const floorRate = events / floor.median;

  let processed = 0;
  const memory = await medianSeconds(runs, async () => {
    const store = new MemoryEventStore();
    processed = (await runBacktest({ dataPath, store, config: parseEngineConfig({}, 'bench'), logger: silentLogger() })).events;
    await store.close();
  });

  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-'));
  let run = 0;
  const sqlite = await medianSeconds(runs, async () => {
    const store = SqliteEventStore.open(join(dir, `bt-${run++}.db`), { synchronous: 'full' });
    await runBacktest({ dataPath, store, config: parseEngineConfig({}, 'bench'), logger: silentLogger() });
    await store.close();
  });
  const sqliteNormal = await medianSeconds(runs, async () => {
    const store = SqliteEventStore.open(join(dir, `bt-${run++}.db`), { synchronous: 'normal' });
    await runBacktest({ dataPath, store, config: parseEngineConfig({}, 'bench'), logger: silentLogger() });
    await store.close();
  });
  rmSync(dir, { recursive: true, force: true });

  const floorFigure = { name: 'read+parse+book floor', value: floorRate };
  return [
    { name: 'read+parse+book floor', value: floorRate, unit: 'events/s' },
    { name: 'backtest, memory store', value: processed / memory.median, unit: 'events/s', baseline: floorFigure },
    { name: 'backtest, sqlite store (sync=full, durable)', value: processed / sqlite.median, unit: 'events/s', baseline: floorFigure },
    { name: 'backtest, sqlite store (sync=normal)', value: processed / sqliteNormal.median, unit: 'events/s', baseline: floorFigure },
  ];
}
