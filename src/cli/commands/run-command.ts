import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { WallClock } from '../../clock/clock.js';
import { loadEngineConfig } from '../../config/engine-config.js';
import { createLogger } from '../../log/logger.js';
import { ApiTokens, parseApiTokens } from '../../service/http/api-tokens.js';
import { startHttpServer, type RunningHttpServer } from '../../service/http/http-server.js';
import { createServiceMetrics } from '../../service/http/metrics.js';
import { createInspector, type ServiceInspector } from '../../service/http/inspector.js';
import { registerDashboard } from '../../service/dashboard/dashboard-plugin.js';
import { startService } from '../../service/start-service.js';
import { openEventStore } from '../../store/store-url.js';
import { parsePositiveNumber, UsageError } from '../errors.js';
import { describeVenueSettings, parseVenueSettings } from './backtest-command.js';
import { BUNDLED_RECORDING, DEFAULT_SERVICE_STORE } from '../project-paths.js';
import { printPairTable } from '../print-summary.js';
import { openLiveVenue, type VenueOptions } from '../../venues/venue-factory.js';
import { startLiveService } from '../../service/live-runner.js';

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
  /** HTTP API port (default 8080; 0 = any free port). */
  readonly port?: string;
  readonly host?: string;
  /** commander's --no-http. */
  readonly http?: boolean;
  /** --inspect [ws-url]: true starts a loopback relay; a URL sends to a running one. */
  readonly inspect?: boolean | string;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 8080;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be an integer in 0..65535, got "${value}"`);
  return n;
}

/**
 * The service: paper trading on a replayed recording in wall-clock time, every
 * pair supervised, the operator API on --port, until SIGTERM/SIGINT or
 * --duration. Then: no order is sent any more, every pair cancels its orders
 * and waits for the venue to confirm (orders.stopTimeoutMs), PairStopped is
 * recorded, the store is closed, and the process exits 0.
 */
export async function runCommand(opts: RunCommandOptions): Promise<void> {
  const durationS = opts.duration === undefined ? undefined : parsePositiveNumber(opts.duration, '--duration');
  const speed = opts.speed === undefined ? 1 : parsePositiveNumber(opts.speed, '--speed');
  const port = parsePort(opts.port);
  const venue = parseVenueSettings(opts);
  const logger = createLogger({ level: opts.logLevel });
  const config = await loadEngineConfig(opts.config);
  const tokens = new ApiTokens(parseApiTokens(process.env.MM_API_TOKENS));
  const storeUrl = opts.store ?? DEFAULT_SERVICE_STORE;
  const store = await openEventStore(storeUrl);
  const dataPath = opts.data ?? BUNDLED_RECORDING;
  const instanceId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  // Signals are caught from the start: a SIGTERM during recovery still ends in an orderly stop.
  let stopReason: string | null = null;
  const stopBegins = new AbortController();
  let wake: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (wake = resolve));
  const stopOn = (reason: string) => () => {
    if (stopReason !== null) return;
    stopReason = reason;
    logger.info({ reason, at: new Date().toISOString() }, 'stopping: no new orders; cancelling every order and recording the stop');
    stopBegins.abort(reason);
    wake();
  };
  const onSigint = stopOn('SIGINT');
  const onSigterm = stopOn('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  const durationTimer = durationS === undefined ? undefined : setTimeout(stopOn(`--duration ${durationS}s elapsed`), durationS * 1000);

  logger.info({ mode: opts.venue === 'ccxt' ? 'live' : 'paper', data: dataPath, store: storeUrl, instanceId, durationS, speed, venue: describeVenueSettings(venue) }, 'market maker starting');
  let service: { stop(reason?: string): Promise<unknown> } | null = null;
  let http: RunningHttpServer | null = null;
  let inspector: ServiceInspector | null = null;
  try {
    const clock = new WallClock();
    // --venue ccxt: live trading on a real exchange instead of paper trading on a recording.
    const live = await openLiveVenue(opts, { clock, logger, instanceId });
    const metrics = createServiceMetrics();
    if (opts.inspect) inspector = await createInspector({ logger, ...(typeof opts.inspect === 'string' ? { url: opts.inspect } : {}) });
    const surfaces = { observer: metrics, stopSignal: stopBegins.signal, ...(inspector ? { inspect: inspector.inspect } : {}) };
    const liveService = live ? await startLiveService({ ...live, store, config, logger, clock, instanceId, ...surfaces }) : null;
    const paperService = liveService ? null : await startService({ config, store, dataPath, clock, logger, instanceId, speed, venue, ...surfaces });
    service = liveService ?? paperService;
    const control = (liveService ?? paperService)!.control;
    if (opts.http !== false) {
      http = await startHttpServer({ control, tokens, logger, metrics, port, ...(opts.host ? { host: opts.host } : {}), registerExtras: (app) => registerDashboard(app, { control }) });
    }
    logger.info({ instanceId, api: http?.url ?? null, ready: control.health() }, 'service running');
    await stopRequested;
    if (liveService) {
      const result = await liveService.stop(stopReason ?? 'service shutdown');
      process.stdout.write(`\nsession ${instanceId} (live on ${live?.venues.map((v) => v.venue.id).join(', ') ?? '?'})\n`);
      printPairTable(result.pairs);
    } else if (paperService) {
      const result = await paperService.stop(stopReason ?? 'service shutdown');
      process.stdout.write(`\nsession ${instanceId}: ${result.events} market events${result.recordingExhausted ? ' (recording exhausted)' : ''}\n`);
      printPairTable(result.pairs);
    }
  } finally {
    if (durationTimer) clearTimeout(durationTimer);
    await http?.close().catch((err: unknown) => logger.warn({ err }, 'closing the HTTP server failed'));
    if (service) await service.stop(stopReason ?? 'service shutdown');
    await inspector?.stop().catch((err: unknown) => logger.warn({ err }, 'closing the inspector failed'));
    await store.close();
    logger.info({ instanceId }, 'stopped: store closed');
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
