import { beforeAll, describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../../../events/envelope.js';
import { verifyDecisions } from '../../../src/audit/verify-decisions.js';
import { runBacktest } from '../../../src/backtest/backtest-runner.js';
import { BUNDLED_RECORDING } from '../../../src/cli/project-paths.js';
import { parseEngineConfig } from '../../../src/config/engine-config.js';
import type { StrategyParamsInput } from '../../../src/config/strategy-params.js';
import { silentLogger } from '../../../src/log/logger.js';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';

/*
 * The audit with every quoting rule on: a backtest on the bundled real
 * recording (Binance spot BTCUSDT), then `verifyDecisions` recomputes every
 * recorded decision from its recorded inputs and finds no mismatch.
 */

const everyRule = (model: 'ladder' | 'glft' | 'avellaneda-stoikov'): StrategyParamsInput => ({
  reference: { source: 'microprice' },
  volatility: { regimes: { enabled: true, lowBelowBps: 0.5, highAboveBps: 3 } },
  fees: { enabled: true, floorBps: 1 },
  adverseSelection: { enabled: true, fillsPerMinuteAbove: 2 },
  pressure: { enabled: true, imbalanceShiftBps: 1, flowShiftBps: 2 },
  optimal: { model, gamma: 0.05, sigmaSource: 'ewma', intensitySource: 'estimated', horizon: 'finite', horizonMs: 120_000 },
  allocation: { enabled: true },
  ladder: { levels: 3, sizeIncrement: '50', depth: { enabled: model !== 'ladder', fraction: 0.05, maxSizeBase: '0.004' } },
  inventory: { target: '0.001', reduceOnlyEnabled: true, capToHeadroom: true, rebalance: { enabled: true, tightenBps: 1 }, age: { enabled: true, halfLifeMs: 60_000, maxMultiple: 2 } },
});

async function backtest(params: StrategyParamsInput): Promise<RecordedEvent[]> {
  const store = new MemoryEventStore();
  // A maker rebate, so fills happen with the fee rule on and the fill-driven rules see fills.
  const config = parseEngineConfig({ pairs: [{ venue: 'binance', symbol: 'BTCUSDT', market: { makerFee: '-0.00005' }, params }] }, 'test');
  await runBacktest({ dataPath: BUNDLED_RECORDING, store, config, logger: silentLogger() });
  const events = await store.readAll();
  await store.close();
  return events;
}

const firedRules = (events: readonly RecordedEvent[]): Set<string> =>
  new Set(events.flatMap((e) => (e.type === 'QuoteDecided' ? e.data.output.rules.map((r) => r.rule) : [])));

describe('audit of a backtest with every quoting rule on', () => {
  let ladder: RecordedEvent[];
  let glft: RecordedEvent[];
  beforeAll(async () => {
    ladder = await backtest(everyRule('ladder'));
    glft = await backtest(everyRule('glft'));
  }, 600_000);

  it('ladder model: every decision recomputes exactly from its recorded inputs', () => {
    const report = verifyDecisions(ladder);
    expect(report.decisionsChecked).toBeGreaterThan(100);
    expect(report.firstMismatches).toEqual([]);
    expect(report.mismatches).toBe(0);
    const fired = firedRules(ladder);
    for (const rule of ['reference-price', 'volatility-regime', 'fee-aware', 'market-pressure', 'inventory-price-skew', 'adverse-selection-widening', 'inventory-age']) expect(fired).toContain(rule);
    expect(ladder.some((e) => e.type === 'OrderFilled')).toBe(true);
  });

  it('GLFT with estimated intensity and depth sizing: every decision recomputes exactly', () => {
    const report = verifyDecisions(glft);
    expect(report.decisionsChecked).toBeGreaterThan(100);
    expect(report.firstMismatches).toEqual([]);
    const fired = firedRules(glft);
    expect(fired).toContain('glft');
    expect(fired).toContain('depth-sizing');
    const estimated = glft.find((e) => e.type === 'QuoteDecided' && e.data.output.rules.some((r) => r.rule === 'glft' && r.detail['intensityFrom'] === 'estimated'));
    expect(estimated).toBeDefined();
  });

  it('a tampered signal input is caught', () => {
    const i = ladder.findIndex((e) => e.type === 'QuoteDecided' && e.data.output.rules.some((r) => r.rule === 'market-pressure'));
    const e = ladder[i];
    if (e?.type !== 'QuoteDecided' || !e.data.inputs.signals) throw new Error('no decision with market pressure');
    const tampered = { ...e, data: { ...e.data, inputs: { ...e.data.inputs, signals: { ...e.data.inputs.signals, bookImbalance: '0.99' } } } } as RecordedEvent;
    const report = verifyDecisions([...ladder.slice(0, i), tampered, ...ladder.slice(i + 1)]);
    expect(report.mismatches).toBe(1);
    const impossible = { ...e, data: { ...e.data, inputs: { ...e.data.inputs, signals: { ...e.data.inputs.signals, tradeFlowImbalance: '1.5' } } } } as RecordedEvent;
    const bad = verifyDecisions([...ladder.slice(0, i), impossible, ...ladder.slice(i + 1)]);
    expect(bad.firstMismatches[0]?.problems).toContain('inputs.signals.tradeFlowImbalance 1.5 is outside [-1, 1]');
  });
});
