/**
 * The venue-side dead man's switch: the exchange cancels all our orders unless
 * we keep telling it we are alive. Armed with a timeout, refreshed on an
 * interval (well inside the timeout) while the engine is healthy, disarmed on
 * stop. When the engine is not healthy (feeds broken) the refresh is withheld
 * on purpose, so the exchange takes our quotes down even if our own cancels
 * cannot get through.
 *
 * Support:
 * - ccxt `cancelAllOrdersAfter(ms)` (OKX cancel-all-after, Bybit
 *   disconnected-cancel-all, ...): one call covers the account;
 * - Binance USD-M / COIN-M: not in ccxt's unified API; the exchange's
 *   per-symbol `countdownCancelAll` is called through ccxt's implicit API;
 * - Binance spot has no such switch: `supported` is null and start() is a no-op
 *   (the pair runtime's own cancel-on-pause is the only protection there).
 */
import type { Exchange } from 'ccxt';
import type { Clock } from '../../clock/clock.js';
import type { Logger } from '../../log/logger.js';
import { classifyVenueError } from './ccxt-errors.js';

export type DeadMansSwitchKind = 'cancelAllOrdersAfter' | 'binance-countdown';

export interface DeadMansSwitchSettings {
  /** The exchange cancels everything this long after the last refresh. */
  readonly timeoutMs: number;
  /** Refresh interval; must be well below timeoutMs. */
  readonly refreshMs: number;
}

export const DEFAULT_DEAD_MANS_SWITCH: DeadMansSwitchSettings = { timeoutMs: 60_000, refreshMs: 15_000 };

export interface DeadMansSwitchOptions {
  readonly exchange: Exchange;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: DeadMansSwitchSettings;
  /** Refresh only while this holds. */
  readonly isHealthy: () => boolean;
  /** Venue market ids covered (Binance futures arm per symbol). */
  readonly marketIds: () => readonly string[];
  readonly secrets: readonly string[];
}

interface BinanceFuturesImplicit {
  fapiPrivatePostCountdownCancelAll(params: Record<string, unknown>): Promise<unknown>;
  dapiPrivatePostCountdownCancelAll(params: Record<string, unknown>): Promise<unknown>;
}

export function deadMansSwitchKind(exchange: Exchange): DeadMansSwitchKind | null {
  if (exchange.has['cancelAllOrdersAfter'] === true) return 'cancelAllOrdersAfter';
  if (exchange.id === 'binanceusdm' || exchange.id === 'binancecoinm') return 'binance-countdown';
  return null;
}

export class DeadMansSwitch {
  readonly kind: DeadMansSwitchKind | null;
  private timer: unknown = null;
  private running = false;
  private lastArmedAt: number | null = null;

  constructor(private readonly o: DeadMansSwitchOptions) {
    if (!(o.settings.refreshMs > 0 && o.settings.refreshMs < o.settings.timeoutMs)) {
      throw new Error(`dead man's switch refresh (${o.settings.refreshMs} ms) must be positive and below the timeout (${o.settings.timeoutMs} ms)`);
    }
    this.kind = deadMansSwitchKind(o.exchange);
  }

  get supported(): boolean {
    return this.kind !== null;
  }

  /** Clock time of the last successful arm/refresh. */
  get armedAt(): number | null {
    return this.lastArmedAt;
  }

  /** Arms now and keeps refreshing. Throws if the first arm fails (the caller decides whether to trade without it). */
  async start(): Promise<void> {
    if (!this.kind || this.running) return;
    this.running = true;
    await this.arm(this.o.settings.timeoutMs);
    this.schedule();
  }

  /** Stops refreshing and disarms (timeout 0), so a clean stop does not cancel orders later. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
    try {
      await this.arm(0);
    } catch (err) {
      this.o.logger.warn({ err: classifyVenueError(err, this.o.secrets).message }, "dead man's switch: disarm failed; the exchange will cancel all orders at the deadline");
    }
  }

  private schedule(): void {
    this.timer = this.o.clock.setTimeout(() => void this.refresh(), this.o.settings.refreshMs);
  }

  private async refresh(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    if (!this.o.isHealthy()) {
      this.o.logger.warn({ armedAt: this.lastArmedAt }, "dead man's switch not refreshed: engine unhealthy; the exchange will cancel all orders at the deadline");
    } else {
      try {
        await this.arm(this.o.settings.timeoutMs);
      } catch (err) {
        this.o.logger.warn({ err: classifyVenueError(err, this.o.secrets).message }, "dead man's switch refresh failed; retrying at the next interval");
      }
    }
    if (this.running) this.schedule();
  }

  private async arm(ms: number): Promise<void> {
    if (this.kind === 'cancelAllOrdersAfter') {
      await this.o.exchange.cancelAllOrdersAfter(ms);
    } else if (this.kind === 'binance-countdown') {
      const implicit = this.o.exchange as unknown as BinanceFuturesImplicit;
      for (const symbol of this.o.marketIds()) {
        const params = { symbol, countdownTime: ms };
        if (this.o.exchange.id === 'binancecoinm') await implicit.dapiPrivatePostCountdownCancelAll(params);
        else await implicit.fapiPrivatePostCountdownCancelAll(params);
      }
    }
    if (ms > 0) this.lastArmedAt = this.o.clock.now();
  }
}
