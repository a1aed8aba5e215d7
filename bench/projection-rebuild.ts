import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '../events/envelope.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { rebuildReadModelsFrom } from '../projections/rebuild.js';
import { runBacktest } from '../src/backtest/backtest-runner.js';
import { BUNDLED_RECORDING } from '../src/cli/project-paths.js';
import { parseEngineConfig } from '../src/config/engine-config.js';
import { silentLogger } from '../src/log/logger.js';
import { MemoryEventStore } from '../src/store/memory-event-store.js';
import { readAllPages } from '../src/store/read-all-pages.js';
import { SqliteEventStore } from '../src/store/sqlite-event-store.js';
import { SqliteReadModelStore } from '../src/store/sqlite-read-model-store.js';
import { medianSeconds, type Figure } from './measure.js';

/** The log of a backtest of the bundled recording, copied into an SQLite event store (same events, same positions). */
async function backtestLog(path: string): Promise<number> {
  const memory = new MemoryEventStore();
  await runBacktest({ dataPath: BUNDLED_RECORDING, store: memory, config: parseEngineConfig({}, 'bench'), logger: silentLogger() });
  const log: RecordedEvent[] = await memory.readAll();
  await memory.close();
  const store = SqliteEventStore.open(path, { synchronous: 'normal' });
  for (let i = 0; i < log.length; ) {
    const first = log[i] as RecordedEvent;
    let j = i;
    while (j < log.length && log[j]?.stream === first.stream) j++;
    const batch = log.slice(i, j).map(({ stream: _s, revision: _r, position: _p, ...event }) => event);
    await store.append(first.stream, batch, first.revision === 0 ? 'no_stream' : first.revision - 1);
    i = j;
  }
  await store.close();
  return log.length;
}

/**
 * Projection rebuild throughput: the runner from checkpoint 0 into a fresh,
 * durable SQLite read-model store (500 events per commit), and the in-memory
 * fold `mm replay --rebuild` uses, each beside the floor: the same log only
 * read back (readAll pages from the SQLite event store, decoded and validated).
 */
export async function projectionRebuildThroughput(runs: number): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-projection-'));
  try {
    const eventsPath = join(dir, 'events.db');
    const total = await backtestLog(eventsPath);
    const events = SqliteEventStore.open(eventsPath);
    try {
      const read = await medianSeconds(runs, async () => {
        let n = 0;
        for await (const _ of readAllPages(events)) n++;
        if (n !== total) throw new Error(`read ${n} events, expected ${total}`);
      });

      const fold = await medianSeconds(runs, async () => {
        const rebuilt = await rebuildReadModelsFrom(readAllPages(events));
        if (rebuilt.events !== total) throw new Error(`rebuilt ${rebuilt.events} events, expected ${total}`);
      });

      let run = 0;
      const runner = await medianSeconds(runs, async () => {
        const readModels = SqliteReadModelStore.open(join(dir, `read-models-${run++}.db`), { synchronous: 'full' });
        const result = await new ProjectionRunner({ events, readModels }).run();
        await readModels.close();
        if (result.events !== total) throw new Error(`projected ${result.events} events, expected ${total}`);
      });

      const floor = { name: 'event log read (sqlite readAll pages)', value: total / read.median };
      return [
        { name: 'event log read (sqlite readAll pages)', value: floor.value, unit: 'events/s' },
        { name: 'projection rebuild in memory (replay --rebuild fold)', value: total / fold.median, unit: 'events/s', baseline: floor },
        { name: 'projection runner into fresh sqlite read models (sync=full, 500/commit)', value: total / runner.median, unit: 'events/s', baseline: floor },
      ];
    } finally {
      await events.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
