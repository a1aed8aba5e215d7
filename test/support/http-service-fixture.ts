import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEngineConfig } from '../../src/config/engine-config.js';
import { silentLogger } from '../../src/log/logger.js';
import { createServiceMetrics, type ServiceMetrics } from '../../src/service/http/metrics.js';
import type { ServiceControl } from '../../src/service/service-control.js';
import { startService } from '../../src/service/start-service.js';
import { openEventStore } from '../../src/store/store-url.js';

/*
 * The one place the HTTP tests get their service from: the real service
 * (startService), paper trading on the bundled Binance recording, with an
 * SQLite event store in a temporary directory and the metrics wired as the
 * supervisor's latency observer, as `mm run` wires them.
 */

export interface HttpServiceFixture {
  readonly control: ServiceControl;
  /** The service feeds its latency histograms; /metrics renders the same registry. */
  readonly metrics: ServiceMetrics;
  /** Pairs the service runs (the bundled recording has one). */
  readonly pairIds: readonly string[];
  /** Goes into test names: what the tests run against. */
  readonly against: string;
  /** Poll until `check` holds (live service: states and orders settle asynchronously). */
  until(check: () => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export const FIXTURE_AGAINST = 'against the paper-trading service (bundled recording, SQLite)';

/** 650 s of recording at 10x: about a minute of live market before the feed goes quiet. */
const SPEED = 10;

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startHttpServiceFixture(): Promise<HttpServiceFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-http-'));
  const store = await openEventStore(`sqlite:${join(dir, 'events.db')}`);
  const metrics = createServiceMetrics();
  const service = await startService({ config: parseEngineConfig({}, 'http-test'), store, speed: SPEED, logger: silentLogger(), observer: metrics });
  const { control } = service;
  const pairIds = control.listPairs().map((p) => p.id);
  // Start from a pair that quotes, with orders on the venue.
  await until(() => pairIds.every((id) => control.getPair(id).state === 'quoting' && control.getPair(id).openOrders.length > 0));
  let closed = false;
  return {
    control,
    metrics,
    pairIds,
    against: FIXTURE_AGAINST,
    until,
    async close() {
      if (closed) return;
      closed = true;
      await service.stop('test done');
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
