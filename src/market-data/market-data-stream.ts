import { from, type Observable } from 'rxjs';
import { recordedMarketEvents, type RecordedMarketEventsOptions } from './binance-recording.js';
import type { MarketEvent } from './market-event.js';

/**
 * Recorded Binance market data as an Observable, in file (data-time) order and
 * as fast as it can be read: no pacing, so a backtest drives its virtual clock
 * from the events' `ts`. Each subscription re-reads the recording. Errors with
 * RecordingNotFoundError or MarketDataError (file and line) on bad input.
 * Pass `options.stats` to read the counters after completion.
 */
export function recordedMarketData$(fileOrFolder: string, options: RecordedMarketEventsOptions = {}): Observable<MarketEvent> {
  // `from` calls [Symbol.asyncIterator]() per subscription, and unsubscribing
  // returns the iterator, which closes the open file.
  return from(recordedMarketEvents(fileOrFolder, options));
}
