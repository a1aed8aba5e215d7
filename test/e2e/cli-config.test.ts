import { describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { expectCleanError, mm, tempDir } from './cli-harness.js';

const SLICE = join(BUNDLED_RECORDING, 'btcusdt_20240808.gz');
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}');

describe('mm with a YAML config, and the synthetic strategy comparison (as a user runs them)', () => {
  it('backtest --config config/example.yaml trades with the merged parameters', async () => {
    const r = await mm(['backtest', '--data', SLICE, '--config', 'config/example.yaml', '--json']);
    expect(r.code).toBe(0);
    const btc = lastJson(r.stdout).pairs.BTCUSDT;
    expect(btc.decisions).toBeGreaterThan(0);
  });

  it('a bad YAML value: the file, the line, the key, the value and the range, exit 2', async () => {
    const cfg = join(tempDir(), 'mm.yaml');
    writeFileSync(cfg, 'defaults:\n  ladder:\n    levels: 99\npairs:\n  - venue: binance\n    symbol: BTCUSDT\n');
    expectCleanError(await mm(['backtest', '--data', SLICE, '--config', cfg]), /mm\.yaml:3: defaults\.ladder\.levels: 99 is out of range \(must be an integer >= 1 and <= 50\)/, expect);
  });

  it('--compare symmetric --json prints both strategies over the same paths', async () => {
    const r = await mm(['backtest', '--market', 'synthetic', '--paths', '3', '--horizon', '0.2', '--seed', '5', '--compare', 'symmetric', '--json']);
    expect(r.code).toBe(0);
    const out = lastJson(r.stdout);
    expect(Object.keys(out.strategies)).toEqual(['inventory-aware', 'symmetric']);
    for (const s of Object.values(out.strategies) as Record<string, { mean: number; std: number }>[]) {
      for (const k of ['netPnl', 'position', 'inventoryRms']) expect(Number.isFinite(s[k]!.mean) && Number.isFinite(s[k]!.std)).toBe(true);
    }
    expect(out.inventoryStdRatio).toBeCloseTo(out.strategies.symmetric.position.std / out.strategies['inventory-aware'].position.std, 9);
  });

  it('--compare without the synthetic market is a usage error', async () => {
    expectCleanError(await mm(['backtest', '--data', SLICE, '--compare', 'symmetric']), /--compare runs on the synthetic market only/, expect);
  });
});
