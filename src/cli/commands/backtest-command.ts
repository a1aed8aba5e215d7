import { runBacktest } from '../../backtest/backtest-runner.js';
import { loadEngineConfig } from '../../config/engine-config.js';
import { createLogger } from '../../log/logger.js';
import { openEmptyStore } from '../open-store.js';
import { printPairTable } from '../print-summary.js';

export interface BacktestCommandOptions {
  readonly data: string;
  readonly store?: string;
  readonly config?: string;
  readonly json?: boolean;
  readonly logLevel?: string;
}

export async function backtestCommand(opts: BacktestCommandOptions): Promise<void> {
  const logger = createLogger({ level: opts.logLevel ?? (opts.json ? 'warn' : 'info') });
  const config = await loadEngineConfig(opts.config);
  const store = await openEmptyStore(opts.store ?? 'memory:');
  const started = performance.now();
  try {
    const result = await runBacktest({ dataPath: opts.data, store, config, logger });
    const seconds = (performance.now() - started) / 1000;
    logger.info({ events: result.events, seconds: Number(seconds.toFixed(3)), eventsPerSecond: Math.round(result.events / seconds) }, 'backtest finished');
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ events: result.events, pairs: result.pairs })}\n`);
    } else {
      process.stdout.write(`backtest of ${opts.data}: ${result.events} market events in ${seconds.toFixed(2)} s\n`);
      printPairTable(result.pairs);
    }
  } finally {
    await store.close();
  }
}
