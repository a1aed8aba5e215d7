import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { z } from 'zod';
import { ConfigError, toConfigIssues } from '../../../src/config/config-errors.js';
import { loadEngineConfig, parseEngineConfig, resolvePair } from '../../../src/config/engine-config.js';
import { defaultStrategyParams } from '../../../src/config/strategy-params.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-config-'));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function configError(path: string): Promise<ConfigError> {
  try {
    await loadEngineConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${path} was accepted`);
}

const YAML_OK = `# defaults for every pair, then per-pair overrides
defaults:
  baseSpreadBps: 6
  ladder:
    levels: 3
    levelSpacingBps: 4
pairs:
  - venue: binance
    symbol: BTCUSDT
    params:
      ladder:
        levels: 1
  - venue: binanceusdm
    symbol: BTCUSDT
`;

describe('engine config: YAML with defaults and per-pair overrides', () => {
  it('deep-merges the defaults into each pair: a pair overrides only what it names', async () => {
    const config = await loadEngineConfig(write('ok.yaml', YAML_OK));
    const [spot, perp] = config.pairs;
    expect(spot?.params.baseSpreadBps).toBe(6);
    expect(spot?.params.ladder.levels).toBe(1);
    // A sibling of an overridden key still comes from the defaults, not from the built-in default (2).
    expect(spot?.params.ladder.levelSpacingBps).toBe(4);
    expect(perp?.params.ladder.levels).toBe(3);
    // Keys no one names keep the schema's defaults.
    expect(perp?.params.shock).toEqual(defaultStrategyParams().shock);
    expect(config.defaults.baseSpreadBps).toBe(6);
  });

  it('a pair not listed trades with the config defaults', async () => {
    const config = await loadEngineConfig(write('defaults-only.yaml', 'defaults:\n  baseSpreadBps: 9\n'));
    expect(resolvePair(config, 'binance', 'BTCUSDT').params.baseSpreadBps).toBe(9);
  });

  it('JSON config files still load, and a file with no defaults gets the built-in ones', async () => {
    const path = write('old.json', JSON.stringify({ pairs: [{ venue: 'binance', symbol: 'BTCUSDT', params: { baseSpreadBps: 7 } }] }));
    const config = await loadEngineConfig(path);
    expect(config.pairs[0]?.params.baseSpreadBps).toBe(7);
    expect(config.pairs[0]?.params.ladder).toEqual(defaultStrategyParams().ladder);
    expect(config.defaults).toEqual(defaultStrategyParams());
  });

  it('the shipped example config is valid: its pairs inherit the defaults and override a few keys', async () => {
    const config = await loadEngineConfig(join(process.cwd(), 'config/example.yaml'));
    expect(config.defaults).toEqual(defaultStrategyParams());
    const spot = config.pairs.find((p) => p.venue === 'binance');
    expect(spot?.params.ladder).toEqual({ ...defaultStrategyParams().ladder, levels: 3 });
    expect(spot?.params.baseSpreadBps).toBe(6);
  });

  it('the shipped recommended config is valid and switches the production rules on for its pair', async () => {
    const config = await loadEngineConfig(join(process.cwd(), 'config/recommended.yaml'));
    const pair = config.pairs.find((p) => p.venue === 'binance' && p.symbol === 'BTCUSDT');
    expect(pair?.market?.makerFee).toBe('0');
    const p = pair!.params;
    expect(p.reference.source).toBe('microprice');
    expect([p.fees.enabled, p.adverseSelection.enabled, p.pressure.enabled, p.inventory.reduceOnlyEnabled, p.inventory.capToHeadroom]).toEqual([true, true, true, true, true]);
    expect([p.toxicity.tradeImbalance.enabled, p.toxicity.markout.enabled]).toEqual([true, true]);
    expect(p.risk.dailyLossLimitQuote).toBe('50');
  });
});

describe('engine config: errors name the file, the line, the key, the value and the allowed range', () => {
  it('an out-of-range value in a pair', async () => {
    const path = write('bad-range.yaml', 'pairs:\n  - venue: binance\n    symbol: BTCUSDT\n    params:\n      baseSpreadBps: 0\n');
    const err = await configError(path);
    expect(err.message).toContain(`${path}:5: pairs[0].params.baseSpreadBps: 0 is out of range (must be > 0 and <= 10000)`);
    expect(err.issues).toEqual([expect.objectContaining({ path: 'pairs[0].params.baseSpreadBps', value: 0, allowed: '> 0 and <= 10000', line: 5 })]);
  });

  it('an integer parameter given a fraction says it must be an integer', async () => {
    const err = await configError(write('bad-int.yaml', 'defaults:\n  ladder:\n    levels: 2.5\n'));
    expect(err.message).toContain(':3: defaults.ladder.levels: 2.5 has the wrong type (must be an integer >= 1 and <= 50)');
  });

  it('a bad decimal string names the value and what a size must be', async () => {
    const err = await configError(write('bad-dec.yaml', 'defaults:\n  inventory:\n    maxPosition: "-1"\n'));
    expect(err.message).toContain(':3: defaults.inventory.maxPosition: "-1" is not valid (must be a decimal string > 0)');
  });

  it('a size written as a YAML number is refused with the quoted form to use', async () => {
    const err = await configError(write('unquoted.yaml', 'defaults:\n  inventory:\n    maxPosition: 0.05\n'));
    expect(err.message).toContain(':3: defaults.inventory.maxPosition: 0.05 has the wrong type (must be a decimal string > 0; quote it: "0.05")');
  });

  it('an unknown key is an error, with a "did you mean" when close', async () => {
    const err = await configError(write('typo.yaml', 'defaults:\n  ladder:\n    levles: 3\n  nonsenseGroup: {}\n'));
    expect(err.message).toContain(':3: defaults.ladder.levles: unknown key; did you mean "levels"?');
    // Nothing close: the known keys are listed instead.
    expect(err.message).toMatch(/:4: defaults\.nonsenseGroup: unknown key \(known keys: baseSpreadBps, minSpreadBps, /);
  });

  it('an unknown top-level key', async () => {
    const err = await configError(write('top.yaml', 'pair:\n  - venue: binance\n'));
    expect(err.message).toContain(':1: pair: unknown key; did you mean "pairs"?');
  });

  it('a bad value in the defaults is reported once, at the defaults, not once per pair', async () => {
    const err = await configError(write('bad-default.yaml', 'defaults:\n  baseSpreadBps: -1\npairs:\n  - venue: binance\n    symbol: BTCUSDT\n  - venue: binanceusdm\n    symbol: BTCUSDT\n'));
    const spreadIssues = err.issues.filter((i) => i.message.includes('baseSpreadBps: -1'));
    expect(spreadIssues).toHaveLength(1);
    expect(spreadIssues[0]?.line).toBe(2);
  });

  it('a cross-field rule broken by a pair override against an inherited default points at the override', async () => {
    const err = await configError(write('cross.yaml', 'defaults:\n  baseSpreadBps: 5\npairs:\n  - venue: binance\n    symbol: BTCUSDT\n    params:\n      minSpreadBps: 8\n'));
    expect(err.message).toMatch(/:7: pairs\[0\]\.params\.minSpreadBps: .*8 must not exceed baseSpreadBps/);
  });

  it('a pair configured twice', async () => {
    const err = await configError(write('twice.yaml', 'pairs:\n  - { venue: binance, symbol: BTCUSDT }\n  - { venue: binance, symbol: BTCUSDT }\n'));
    expect(err.message).toContain(':3: pairs[1]: binance BTCUSDT is configured twice (also pairs[0])');
  });

  it('invalid YAML names the file and the line', async () => {
    const path = write('broken.yaml', 'defaults:\n  baseSpreadBps: 4\n  baseSpreadBps: 5\n');
    const err = await configError(path);
    expect(err.message).toContain(`${path} is not valid YAML`);
    expect(err.message).toContain(`${path}:3:`);
  });

  it('invalid JSON in a .json file is reported as JSON', async () => {
    const err = await configError(write('broken.json', '{"pairs": [}'));
    expect(err.message).toMatch(/broken\.json is not valid JSON/);
  });

  it('a JSON file gets line numbers too', async () => {
    const err = await configError(write('lines.json', '{\n  "defaults": {\n    "baseSpreadBps": 20000\n  }\n}\n'));
    expect(err.message).toContain('lines.json:3: defaults.baseSpreadBps: 20000 is out of range (must be > 0 and <= 10000)');
  });

  it('an enum value gets a "did you mean" among the allowed values', () => {
    const schema = z.object({ reference: z.enum(['mid', 'microprice', 'last-trade']).default('mid') }).strict();
    const input = { reference: 'micropric' };
    const r = schema.safeParse(input);
    if (r.success) throw new Error('accepted');
    const [issue] = toConfigIssues(r.error, schema, input);
    expect(issue?.message).toBe('reference: "micropric" is not allowed (must be one of: mid, microprice, last-trade); did you mean "microprice"?');
    const abbreviated = { reference: 'last' };
    const r2 = schema.safeParse(abbreviated);
    if (r2.success) throw new Error('accepted');
    expect(toConfigIssues(r2.error, schema, abbreviated)[0]?.message).toMatch(/did you mean "last-trade"\?$/);
  });

  it('property: any out-of-range spread is rejected with its value and the range', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ max: 0, noNaN: true }), fc.double({ min: 10_000, noNaN: true, minExcluded: true })), (bad) => {
        fc.pre(Number.isFinite(bad));
        try {
          parseEngineConfig({ defaults: { baseSpreadBps: bad } }, 'prop');
        } catch (err) {
          const issue = (err as ConfigError).issues.find((i) => i.path === 'defaults.baseSpreadBps');
          return issue !== undefined && issue.value === bad && issue.allowed === '> 0 and <= 10000' && issue.message.includes(JSON.stringify(bad));
        }
        return false;
      }),
    );
  });
});
