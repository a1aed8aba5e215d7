import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';

/** Unwraps defaults, optionals and pipes down to the object schema of a group, if it is one. */
function objectOf(schema: z.ZodType): z.ZodObject | null {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    if (s instanceof z.ZodObject) return s;
    const def = (s as unknown as { _zod: { def: { innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    const inner = def.innerType ?? def.in;
    if (!inner) return null;
    s = inner;
  }
  return null;
}

/** Every parameter and group, as dotted paths, with its meta (the README table is generated from it). */
function walk(obj: z.ZodObject, prefix: string, out: { path: string; meta: Record<string, unknown> | undefined; leaf: boolean }[]): void {
  for (const [key, field] of Object.entries(obj.shape as Record<string, z.ZodType>)) {
    const path = `${prefix}${key}`;
    const inner = objectOf(field);
    out.push({ path, meta: field.meta() as Record<string, unknown> | undefined, leaf: inner === null });
    // risk and toxicity belong to src/config/params/risk-params.ts.
    if (inner && key !== 'risk' && key !== 'toxicity') walk(inner, `${path}.`, out);
  }
}

describe('strategy parameters', () => {
  it('every parameter has a description and a unit, every group a description', () => {
    const root = objectOf(StrategyParamsSchema);
    if (!root) throw new Error('not an object schema');
    const all: { path: string; meta: Record<string, unknown> | undefined; leaf: boolean }[] = [];
    walk(root, '', all);
    expect(all.length).toBeGreaterThan(80);
    const missing = all.filter((p) => typeof p.meta?.['description'] !== 'string' || (p.leaf && typeof p.meta?.['unit'] !== 'string')).map((p) => p.path);
    expect(missing).toEqual([]);
  });

  it('every new rule is off by default', () => {
    const p = StrategyParamsSchema.parse({});
    expect([p.volatility.regimes.enabled, p.fees.enabled, p.adverseSelection.enabled, p.pressure.enabled, p.ladder.depth.enabled, p.allocation.enabled]).toEqual([false, false, false, false, false, false]);
    expect([p.inventory.reduceOnlyEnabled, p.inventory.capToHeadroom, p.inventory.rebalance.enabled, p.inventory.age.enabled]).toEqual([false, false, false, false]);
    expect([p.reference.source, p.optimal.model, p.inventory.target, p.ladder.sizeUnit, p.ladder.sizeIncrement, p.inventory.reduceOnlyRatio]).toEqual(['mid', 'ladder', '0', 'quote', '0', 0.8]);
  });

  it('a bad value is refused with its key, value and range', () => {
    const r = StrategyParamsSchema.safeParse({ volatility: { regimes: { lowBelowBps: 6, highAboveBps: 5 } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['volatility', 'regimes', 'lowBelowBps'], message: 'lowBelowBps 6 must be <= highAboveBps 5' });
    const m = StrategyParamsSchema.safeParse({ optimal: { model: 'magic' } });
    expect(m.error?.issues[0]?.path).toEqual(['optimal', 'model']);
    expect(m.error?.issues[0]?.message).toMatch(/ladder.*avellaneda-stoikov.*glft/);
  });
});
