import { randomUUID } from 'node:crypto';
import type { InspectionEvent, Observer } from 'xstate';
import type { PairSummary } from '../../projections/pair-projection.js';
import type { RestartPolicy } from '../../machines/supervisor-machine.js';
import { WallClock, type Clock } from '../clock/clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { EventStore } from '../store/event-store.js';
import type { SimulatedVenueSettings } from '../venues/simulated-venue.js';
import { BUNDLED_RECORDING } from '../cli/project-paths.js';
import { feedRecording } from './paper-runner.js';
import { SupervisedControl } from './supervised-control.js';
import type { ServiceControl } from './service-control.js';
import { TradingSession } from './trading-session.js';
import type { ServiceObserver } from './supervisor.js';

export interface StartServiceOptions {
  readonly config: EngineConfig;
  /** The caller opens and closes it (stop() does not close it). */
  readonly store: EventStore;
  /** Recorded market data; default the bundled Binance BTCUSDT slice. */
  readonly dataPath?: string;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly instanceId?: string;
  /** Replay speed, 1 = real time (default). */
  readonly speed?: number;
  readonly venue?: SimulatedVenueSettings;
  readonly restartPolicy?: Partial<RestartPolicy>;
  readonly mode?: 'paper';
  /** Latency histograms: pass the HTTP metrics (createServiceMetrics()) so they are fed. */
  readonly observer?: ServiceObserver;
  /** XState inspection of every actor (src/service/http/inspector.ts createInspector().inspect). */
  readonly inspect?: Observer<InspectionEvent>;
  /** Aborted when the stop begins (a signal): no order leaves from that moment, even during recovery. Call stop() after. */
  readonly stopSignal?: AbortSignal;
}

export interface ServiceResult {
  readonly events: number;
  readonly recordingExhausted: boolean;
  readonly pairs: Record<string, PairSummary>;
}

export interface RunningService {
  /** What the HTTP API, the dashboard and the metrics use. */
  readonly control: ServiceControl;
  readonly session: TradingSession;
  readonly instanceId: string;
  /** Resolves when the recording has run out (the pairs then pause as stale); the service keeps running until stop(). */
  readonly recordingDone: Promise<boolean>;
  /**
   * Stop: no new order from now on; every pair cancels its orders and waits
   * for confirmation (orders.stopTimeoutMs), records PairStopped. Idempotent.
   */
  stop(reason?: string): Promise<ServiceResult>;
}

/**
 * The service: paper trading on a recording, every pair supervised, behind a
 * ServiceControl. Resolves once the configured pairs have started (rebuilt
 * and reconciled), or, with no pairs configured, once the first pair in the
 * data has.
 */
export async function startService(opts: StartServiceOptions): Promise<RunningService> {
  const clock = opts.clock ?? new WallClock();
  const logger = opts.logger ?? createLogger({ level: 'warn' });
  const instanceId = opts.instanceId ?? `svc-${randomUUID().slice(0, 8)}`;
  let control: SupervisedControl | null = null;
  const session = new TradingSession({
    store: opts.store,
    config: opts.config,
    clock,
    logger,
    instanceId,
    mode: 'paper',
    ...(opts.venue ? { venue: opts.venue } : {}),
    ...(opts.restartPolicy ? { restartPolicy: opts.restartPolicy } : {}),
    ...(opts.observer ? { observer: opts.observer } : {}),
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
    // Trade ids unique to this process: the fresh paper venue of a restart must not repeat the log's.
    venueIdPrefix: `sim-${instanceId}`,
    onAppended: (pairId, events) => control?.onAppended(pairId, events),
    onPairChanged: (pairId) => control?.onPairChanged(pairId),
  });
  const freeze = () => session.supervisor.freezeOrders();
  if (opts.stopSignal?.aborted) freeze();
  else opts.stopSignal?.addEventListener('abort', freeze, { once: true });
  control = new SupervisedControl({ supervisor: session.supervisor, store: opts.store, logger, instanceId, clock });
  const controller = new AbortController();

  await session.startConfiguredPairs();
  let firstEvent!: () => void;
  const firstPair = new Promise<void>((resolve) => (firstEvent = resolve));
  const recordingDone = feedRecording(session, {
    dataPath: opts.dataPath ?? BUNDLED_RECORDING,
    clock,
    speed: opts.speed ?? 1,
    signal: controller.signal,
    onFirstEvent: () => firstEvent(),
  }).then(
    (exhausted) => {
      if (exhausted) logger.warn({ events: session.marketEvents }, 'recording exhausted: the feed is now quiet and pairs will pause as stale; waiting for stop');
      firstEvent();
      return exhausted;
    },
    (err) => {
      logger.error({ err }, 'market data feed failed; the pairs will pause as stale');
      firstEvent();
      return false;
    },
  );
  if (opts.config.pairs.length === 0) await firstPair;

  let stopped: Promise<ServiceResult> | null = null;
  const stop = (reason = 'service shutdown'): Promise<ServiceResult> => {
    stopped ??= (async () => {
      controller.abort(reason);
      const exhausted = await recordingDone;
      await session.stop(reason);
      control?.close();
      return { events: session.marketEvents, recordingExhausted: exhausted, pairs: session.summaries() };
    })();
    return stopped;
  };
  return { control, session, instanceId, recordingDone, stop };
}
