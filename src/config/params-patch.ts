import { ConfigError, configErrorOf, toConfigIssues } from './config-errors.js';
import { deepMerge } from './engine-config.js';
import { StrategyParamsSchema, type StrategyParams } from './strategy-params.js';

/**
 * A parameter change at runtime: `patch` (any subset of the parameters, e.g.
 * `{ ladder: { levels: 3 } }`) deep-merged over `current`, then validated as
 * a whole. Throws ConfigError whose `issues` name each bad key, its value and
 * its allowed range; `current` is never modified.
 */
export function applyParamsPatch(current: StrategyParams, patch: unknown): StrategyParams {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new ConfigError(`a parameter patch must be an object of parameters to change, got ${JSON.stringify(patch) ?? String(patch)}`, [
      { path: '(root)', value: patch, allowed: 'an object', message: `(root): ${JSON.stringify(patch) ?? String(patch)} is not an object of parameters`, line: null },
    ]);
  }
  const merged = deepMerge(current, patch);
  const parsed = StrategyParamsSchema.safeParse(merged);
  if (!parsed.success) throw configErrorOf('parameter patch', toConfigIssues(parsed.error, StrategyParamsSchema, merged));
  return parsed.data;
}
