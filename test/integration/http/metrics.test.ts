import { describe, expect, it } from '@jest/globals';
import { createServiceMetrics } from '../../../src/service/http/metrics.js';
import type { ServiceUpdate } from '../../../src/service/service-control.js';

/*
 * The metrics module on its own: the update subscriber and the latency
 * observers, read back through prom-client's own JSON view of the registry.
 * (The per-pair gauges against the running service are in api.test.ts.)
 */

const event = (pairId: string, type: string, data: unknown = {}): ServiceUpdate => ({ type: 'event', pairId, event: { type, data } });

async function sample(metrics: ReturnType<typeof createServiceMetrics>, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))?.value;
}

describe('service metrics', () => {
  it('counts events by type, orders by outcome and fills by side and liquidity', async () => {
    const m = createServiceMetrics({ defaultMetrics: false });
    const updates: ServiceUpdate[] = [
      event('a', 'QuoteDecided'),
      event('a', 'QuoteDecided'),
      event('a', 'OrderPlaced'),
      event('a', 'OrderPlaced'),
      event('a', 'OrderAcknowledged'),
      event('a', 'OrderCancelled'),
      event('a', 'OrderRejected'),
      event('a', 'OrderFilled', { side: 'buy', liquidity: 'maker', amount: '0.003' }),
      event('a', 'OrderFilled', { side: 'buy', liquidity: 'maker', amount: '0.002' }),
      event('b', 'OrderFilled', { side: 'sell', liquidity: 'taker', amount: '0.5' }),
      { type: 'pair', pair: {} as never },
    ];
    for (const u of updates) m.onUpdate(u);
    expect(await sample(m, 'mm_pair_events_total', { pair: 'a', type: 'QuoteDecided' })).toBe(2);
    expect(await sample(m, 'mm_pair_quotes_total', { pair: 'a' })).toBe(2);
    expect(await sample(m, 'mm_pair_orders_total', { pair: 'a', outcome: 'placed' })).toBe(2);
    expect(await sample(m, 'mm_pair_orders_total', { pair: 'a', outcome: 'acknowledged' })).toBe(1);
    expect(await sample(m, 'mm_pair_orders_total', { pair: 'a', outcome: 'cancelled' })).toBe(1);
    expect(await sample(m, 'mm_pair_orders_total', { pair: 'a', outcome: 'rejected' })).toBe(1);
    expect(await sample(m, 'mm_pair_fills_total', { pair: 'a', side: 'buy', liquidity: 'maker' })).toBe(2);
    expect(await sample(m, 'mm_pair_fills_total', { pair: 'b', side: 'sell', liquidity: 'taker' })).toBe(1);
    expect(await sample(m, 'mm_pair_filled_base_total', { pair: 'a', side: 'buy' })).toBeCloseTo(0.005, 12);
    // A pair update is not an event.
    expect(await sample(m, 'mm_pair_events_total', { pair: 'a', type: 'OrderFilled' })).toBe(2);
  });

  it('latency observers take ms and expose seconds; bad observations are counted, not recorded', async () => {
    const m = createServiceMetrics({ defaultMetrics: false });
    m.observeTickToQuote('a', 1.5);
    m.observeTickToQuote('a', 30);
    m.observeAppend('a', 0.2);
    m.observeTickToQuote('a', -1);
    m.observeAppend('a', Number.NaN);
    m.observeAppend('a', Number.POSITIVE_INFINITY);
    const text = await m.render();
    expect(text).toMatch(/^mm_tick_to_quote_seconds_bucket\{le="0\.001",pair="a"\} 0$/m);
    expect(text).toMatch(/^mm_tick_to_quote_seconds_bucket\{le="0\.0025",pair="a"\} 1$/m);
    expect(text).toMatch(/^mm_tick_to_quote_seconds_bucket\{le="0\.05",pair="a"\} 2$/m);
    expect(text).toMatch(/^mm_tick_to_quote_seconds_count\{pair="a"\} 2$/m);
    expect(text).toMatch(/^mm_tick_to_quote_seconds_sum\{pair="a"\} 0\.0315$/m);
    expect(text).toMatch(/^mm_event_append_seconds_count\{pair="a"\} 1$/m);
    expect(await sample(m, 'mm_metrics_invalid_observations_total', { metric: 'tick_to_quote' })).toBe(1);
    expect(await sample(m, 'mm_metrics_invalid_observations_total', { metric: 'event_append' })).toBe(2);
  });

  it('two services in one process keep separate registries', async () => {
    const a = createServiceMetrics({ defaultMetrics: false });
    const b = createServiceMetrics({ defaultMetrics: false });
    a.onUpdate(event('x', 'OrderPlaced'));
    expect(await sample(a, 'mm_pair_orders_total', { pair: 'x', outcome: 'placed' })).toBe(1);
    expect(await sample(b, 'mm_pair_orders_total', { pair: 'x', outcome: 'placed' })).toBeUndefined();
  });
});
