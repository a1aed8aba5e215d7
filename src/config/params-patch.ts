// lead: replace with config branch (this minimal version only lets the service compile and be tested).
import { StrategyParamsSchema, type StrategyParams } from './strategy-params.js';

export class ParamsPatchError extends Error {
  override readonly name = 'ParamsPatchError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(base[k], v);
  return out;
}

/** Deep-merges a partial patch onto the current parameters and validates the result; the error names key, value and rule. */
export function applyParamsPatch(current: StrategyParams, patch: unknown): StrategyParams {
  if (!isObject(patch)) throw new ParamsPatchError('the patch must be a JSON object of parameters');
  const parsed = StrategyParamsSchema.safeParse(merge(current, patch));
  if (!parsed.success) {
    throw new ParamsPatchError(
      parsed.error.issues
        .map((i) => {
          const value = i.path.reduce<unknown>((o, k) => (isObject(o) ? o[k as string] : undefined), patch);
          return `${i.path.join('.')}=${JSON.stringify(value)}: ${i.message}`;
        })
        .join('; '),
    );
  }
  return parsed.data;
}
