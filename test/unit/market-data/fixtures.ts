import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The recording that ships with the project (never ../shared: a fresh clone has no such folder). */
export const BUNDLED_RECORDING = fileURLToPath(new URL('../../../recordings/binance-spot-btcusdt', import.meta.url));

/** Epoch ms -> a 19-digit receive-time ns string, with a sub-ms part that must be truncated. */
export const ns = (ms: number): string => `${ms}123456`;

export const T0 = 1_723_161_253_937;

type Lvl = [string, string];

export const spotDepth = (U: number, u: number, b: Lvl[] = [], a: Lvl[] = [], symbol = 'BTCUSDT'): string =>
  JSON.stringify({
    stream: `${symbol.toLowerCase()}@depth@100ms`,
    data: { e: 'depthUpdate', E: 1, s: symbol, U, u, b, a },
  });

export const futDepth = (U: number, u: number, pu: number, b: Lvl[] = [], a: Lvl[] = [], symbol = 'BTCUSDT'): string =>
  JSON.stringify({
    stream: `${symbol.toLowerCase()}@depth@0ms`,
    data: { e: 'depthUpdate', E: 1, T: 1, s: symbol, U, u, pu, b, a },
  });

export const spotSnapshot = (lastUpdateId: number, bids: Lvl[], asks: Lvl[]): string =>
  JSON.stringify({ lastUpdateId, bids, asks });

export const spotBbo = (u: number, b: string, B: string, a: string, A: string, symbol = 'BTCUSDT'): string =>
  JSON.stringify({ stream: `${symbol.toLowerCase()}@bookTicker`, data: { u, s: symbol, b, B, a, A } });

export const spotTrade = (t: number, p: string, q: string, m: boolean, symbol = 'BTCUSDT'): string =>
  JSON.stringify({
    stream: `${symbol.toLowerCase()}@trade`,
    data: { e: 'trade', E: 1, s: symbol, t, p, q, T: 1, m, M: true },
  });

export const futTrade = (t: number, p: string, q: string, m: boolean, X: string, symbol = 'BTCUSDT'): string =>
  JSON.stringify({
    stream: `${symbol.toLowerCase()}@trade`,
    data: { e: 'trade', E: 1, T: 1, s: symbol, t, p, q, X, m },
  });

/** `<ns> <json>` lines, one per message, data time T0 + i ms. */
export const recordLines = (messages: string[], startMs = T0): string[] => messages.map((m, i) => `${ns(startMs + i)} ${m}`);

export interface TempDir {
  readonly dir: string;
  /** Write gzipped lines (newline-terminated) and return the path. */
  gz(name: string, lines: string[]): Promise<string>;
  raw(name: string, content: Buffer | string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), 'md-test-'));
  return {
    dir,
    async gz(name, lines) {
      const path = join(dir, name);
      await writeFile(path, gzipSync(lines.map((l) => `${l}\n`).join('')));
      return path;
    },
    async raw(name, content) {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}
