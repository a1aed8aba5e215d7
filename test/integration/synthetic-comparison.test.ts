import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { verifyDecisions } from '../../src/audit/verify-decisions.js';
import { compareSyntheticStrategies, SYMMETRIC_PATCH, symmetricConfig, syntheticEngineConfig } from '../../src/backtest/synthetic-runner.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';

/*
 * The Avellaneda–Stoikov result on the synthetic market: quoting that leans
 * against inventory keeps the final inventory (and so the PnL) far less
 * dispersed across paths than symmetric quoting at the same average spread.
 */
const market = { T: 0.5 }; // 100 steps of 1 s
const PATHS = 12;

async function compare(seed: number, store = new MemoryEventStore()) {
  const config = syntheticEngineConfig(market);
  const c = await compareSyntheticStrategies({
    params: market,
    paths: PATHS,
    seed,
    store,
    logger: silentLogger(),
    strategies: [
      { label: 'aware', config },
      { label: 'symmetric', config: symmetricConfig(config) },
    ],
  });
  const [aware, symmetric] = c.runs.map((r) => r.result);
  if (!aware || !symmetric) throw new Error('two runs expected');
  return { aware, symmetric, store };
}

describe('synthetic market: inventory-aware against symmetric quoting', () => {
  it('symmetricConfig switches off the inventory rules and nothing else', () => {
    const config = syntheticEngineConfig(market);
    const sym = symmetricConfig(config);
    const [p, s] = [config.pairs[0]!.params, sym.pairs[0]!.params];
    expect(s.inventory).toEqual({ ...p.inventory, ...SYMMETRIC_PATCH.inventory });
    expect({ ...s, inventory: null }).toEqual({ ...p, inventory: null });
  });

  it('property: over the same seeded paths, the inventory-aware strategy has a smaller spread of final inventory and of inventory over time, at the same mean quoted spread', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), async (seed) => {
        const { aware, symmetric } = await compare(seed);
        expect(aware.position.std).toBeLessThan(symmetric.position.std);
        expect(aware.inventoryRms.mean).toBeLessThan(symmetric.inventoryRms.mean);
        // Same average spread: the skew moves both quotes, not their distance.
        expect(Math.abs(aware.meanQuotedSpread! - symmetric.meanQuotedSpread!) / symmetric.meanQuotedSpread!).toBeLessThan(0.05);
        // The same paths: the model mid at T is the same for both.
        expect(aware.paths.map((p) => p.finalMid)).toEqual(symmetric.paths.map((p) => p.finalMid));
      }),
      { numRuns: 3 },
    );
  });

  it('both runs share one store under labelled streams, and every decision of both verifies', async () => {
    const { store, aware, symmetric } = await compare(11);
    const streams = await store.listStreams();
    expect(streams).toHaveLength(2 * PATHS);
    expect(aware.paths[0]?.stream).toBe('pair-synthetic-SYN_USD-aware-path0000');
    expect(symmetric.paths[0]?.stream).toBe('pair-synthetic-SYN_USD-symmetric-path0000');
    const report = verifyDecisions(await store.readAll());
    expect(report.decisionsChecked).toBeGreaterThan(PATHS * 100);
    expect(report.mismatches).toBe(0);
  });
});
