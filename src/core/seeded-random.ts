import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * Seeded randomness for simulations (pure-rand's xoroshiro128+, the generator
 * fast-check uses). Nothing in the engine may use Math.random: the same seed
 * must give byte-identical runs.
 */
export interface RandomSource {
  /** Uniform on [0, 1). */
  nextDouble(): number;
  /** Standard normal. */
  nextNormal(): number;
}

export class SeededRandom implements RandomSource {
  private readonly generator;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed | 0);
  }

  nextDouble(): number {
    return uniformFloat64(this.generator);
  }

  /** Box–Muller; the second normal of each pair is kept for the next call, so the draw order stays fixed. */
  nextNormal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u1 = 1 - this.nextDouble(); // (0, 1]: the log stays finite
    const u2 = this.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** MurmurHash3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit seed from a seed and small integers (path index, purpose tag):
 * independent streams per (seed, path, purpose), so one stream's consumption
 * never shifts another's.
 */
export function deriveSeed(seed: number, ...parts: readonly number[]): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  // `>>> 0` keeps the low 32 bits; the division brings in the high 21.
  let h = fmix32(Math.floor(seed / 2 ** 32) ^ 0x9e3779b9);
  h = fmix32(h ^ (seed >>> 0));
  for (const p of parts) h = fmix32((h + Math.imul(p >>> 0, 0x9e3779b9) + 0x7f4a7c15) >>> 0);
  return h;
}
