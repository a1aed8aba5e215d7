import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { MarketDataError } from '../../../src/market-data/binance-messages.js';
import { createRecordingStats, recordedMarketEvents, RecordingNotFoundError } from '../../../src/market-data/binance-recording.js';
import { recordedMarketData$ } from '../../../src/market-data/market-data-stream.js';
import type { MarketEvent } from '../../../src/market-data/market-event.js';
import { BUNDLED_RECORDING, collect, ns, recordLines, spotBbo, T0, tempDir, type TempDir } from './fixtures.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('recordedMarketData$', () => {
  it('emits the same sequence as the async iterable over a bundled file, and fills the stats', async () => {
    // The 0808 part (snapshot, buffering, 41k lines); the whole folder is replayed in binance-recording.test.ts.
    const file = join(BUNDLED_RECORDING, 'btcusdt_20240808.gz');
    const fromIterable = await collect(recordedMarketEvents(file));
    const stats = createRecordingStats();
    const fromObservable = await lastValueFrom(recordedMarketData$(file, { stats }).pipe(toArray()));
    expect(fromObservable.length).toBe(fromIterable.length);
    // One string compare: a deep toEqual over ~100k events is slow and says no more.
    expect(JSON.stringify(fromObservable)).toBe(JSON.stringify(fromIterable));
    expect(stats.eventsEmitted).toBe(fromIterable.length);
    expect(stats.messagesRead).toBe(41_249);
    expect(fromIterable.filter((e) => e.kind === 'book').length).toBeGreaterThan(3_000);
  });

  it('re-reads per subscription and stops reading when unsubscribed early', async () => {
    const source$ = recordedMarketData$(BUNDLED_RECORDING);
    const first = await lastValueFrom(source$.pipe(take(5), toArray()));
    const again = await lastValueFrom(source$.pipe(take(5), toArray()));
    expect(first).toHaveLength(5);
    expect(again).toEqual(first);
  });

  it('errors with the MarketDataError of a corrupt line, after the events before it', async () => {
    const file = await tmp.gz('corrupt_20240808.gz', [
      ...recordLines([spotBbo(1, '100.00', '1.0', '101.00', '1.0')]),
      `${ns(T0 + 1)} {"stream":"btcusdt@bookTicker","data":{"u":2,"s":"BTCUSDT","b":"1..0"`,
    ]);
    const seen: MarketEvent[] = [];
    const err = await new Promise<unknown>((resolve) => {
      recordedMarketData$(file).subscribe({
        next: (e) => seen.push(e),
        error: resolve,
        complete: () => resolve(undefined),
      });
    });
    expect(seen.map((e) => e.kind)).toEqual(['bbo']);
    expect(err).toBeInstanceOf(MarketDataError);
    expect((err as Error).message).toMatch(/^corrupt_20240808\.gz line 2: bad JSON \(/);
  });

  it('errors with RecordingNotFoundError for a missing path', async () => {
    const missing = join(tmp.dir, 'no-such-recording');
    await expect(firstValueFrom(recordedMarketData$(missing))).rejects.toBeInstanceOf(RecordingNotFoundError);
  });
});
