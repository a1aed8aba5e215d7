import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { WallClock } from '../../clock/clock.js';
import { loadEngineConfig } from '../../config/engine-config.js';
import { createLogger } from '../../log/logger.js';
import { runPaper } from '../../service/paper-runner.js';
import { openEventStore } from '../../store/store-url.js';
import { parsePositiveNumber } from '../errors.js';
import { describeVenueSettings, parseVenueSettings } from './backtest-command.js';
import { BUNDLED_RECORDING, DEFAULT_SERVICE_STORE } from '../project-paths.js';
import { printPairTable } from '../print-summary.js';
import { startVenue, type VenueOptions } from '../../venues/venue-factory.js';

export interface RunCommandOptions extends VenueOptions {
  readonly data?: string;
  readonly store?: string;
  readonly config?: string;
  readonly duration?: string;
  readonly speed?: string;
  readonly logLevel?: string;
  /** `queue` (default) or `through`. */
  readonly fillModel?: string;
  /** `<order-ms>[,<feed-ms>]`, default `0,0`. */
  readonly latency?: string;
}

/** The service: paper trading on a replayed recording, in wall-clock time, until Ctrl-C or --duration. */
export async function runCommand(opts: RunCommandOptions): Promise<void> {
  const durationS = opts.duration === undefined ? undefined : parsePositiveNumber(opts.duration, '--duration');
  const speed = opts.speed === undefined ? 1 : parsePositiveNumber(opts.speed, '--speed');
  const venue = parseVenueSettings(opts);
  const logger = createLogger({ level: opts.logLevel });
  const config = await loadEngineConfig(opts.config);
  const storeUrl = opts.store ?? DEFAULT_SERVICE_STORE;
  const store = await openEventStore(storeUrl);
  const dataPath = opts.data ?? BUNDLED_RECORDING;
  const instanceId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  const controller = new AbortController();
  const stopOn = (reason: string) => () => {
    if (controller.signal.aborted) return;
    logger.info({ reason }, 'stopping: cancelling orders and recording the stop');
    controller.abort(reason);
  };
  const onSigint = stopOn('SIGINT');
  const onSigterm = stopOn('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const durationTimer = durationS === undefined ? undefined : setTimeout(stopOn(`--duration ${durationS}s elapsed`), durationS * 1000);

  logger.info({ mode: opts.venue === 'ccxt' ? 'live' : 'paper', data: dataPath, store: storeUrl, instanceId, durationS, speed, venue: describeVenueSettings(venue) }, 'market maker starting');
  try {
    // --venue ccxt: live trading on a real exchange instead of paper trading on a recording.
    const live = await startVenue(opts, { store, config, logger, clock: new WallClock(), instanceId, signal: controller.signal });
    if (live) {
      printPairTable(live.pairs);
      return;
    }
    const result = await runPaper({ dataPath, store, config, logger, clock: new WallClock(), instanceId, speed, signal: controller.signal, venue });
    process.stdout.write(`\nsession ${instanceId}: ${result.events} market events${result.recordingExhausted ? ' (recording exhausted)' : ''}\n`);
    printPairTable(result.pairs);
  } finally {
    if (durationTimer) clearTimeout(durationTimer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    await store.close();
  }
}
