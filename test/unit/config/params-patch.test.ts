import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ConfigError } from '../../../src/config/config-errors.js';
import { applyParamsPatch } from '../../../src/config/params-patch.js';
import { defaultStrategyParams } from '../../../src/config/strategy-params.js';

describe('applyParamsPatch', () => {
  it('deep-merges a partial patch and leaves every other parameter as it was', () => {
    const current = { ...defaultStrategyParams(), baseSpreadBps: 8 };
    const next = applyParamsPatch(current, { ladder: { levels: 4 }, inventory: { priceSkewBps: 5 } });
    expect(next.ladder).toEqual({ ...current.ladder, levels: 4 });
    expect(next.inventory).toEqual({ ...current.inventory, priceSkewBps: 5 });
    expect(next.baseSpreadBps).toBe(8);
    expect(current.ladder.levels).toBe(defaultStrategyParams().ladder.levels);
  });

  it('throws ConfigError naming the key, the value and the allowed range', () => {
    const attempt = () => applyParamsPatch(defaultStrategyParams(), { ladder: { levels: 0 } });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      expect((err as ConfigError).issues).toEqual([
        expect.objectContaining({ path: 'ladder.levels', value: 0, allowed: 'an integer >= 1 and <= 50', message: 'ladder.levels: 0 is out of range (must be an integer >= 1 and <= 50)' }),
      ]);
    }
  });

  it('rejects unknown keys with a suggestion, and a patch that is not an object', () => {
    expect(() => applyParamsPatch(defaultStrategyParams(), { baseSpreadBp: 3 })).toThrow('baseSpreadBp: unknown key; did you mean "baseSpreadBps"?');
    expect(() => applyParamsPatch(defaultStrategyParams(), [1])).toThrow(/must be an object/);
    expect(() => applyParamsPatch(defaultStrategyParams(), null)).toThrow(ConfigError);
  });

  it('a "__proto__" key is an unknown key, not a prototype', () => {
    expect(() => applyParamsPatch(defaultStrategyParams(), JSON.parse('{"__proto__": {"baseSpreadBps": 50}}'))).toThrow(/__proto__: unknown key/);
  });

  it('checks cross-field rules on the merged result', () => {
    expect(() => applyParamsPatch(defaultStrategyParams(), { inventory: { hardLimit: '0.01' } })).toThrow(/inventory\.hardLimit: .*0\.01.* must be at least inventory\.maxPosition/);
  });

  it('property: a valid patch sets exactly what it names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 1, max: 10_000, noNaN: true }), (levels, spread) => {
        const before = defaultStrategyParams();
        const after = applyParamsPatch(before, { ladder: { levels }, baseSpreadBps: spread });
        expect(after).toEqual({ ...before, baseSpreadBps: spread, ladder: { ...before.ladder, levels } });
      }),
    );
  });
});
