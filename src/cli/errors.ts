import { InvalidEventError } from '../../events/envelope.js';
import { ProjectionFailedError } from '../../projections/projection-runner.js';
import { CheckpointConflictError, CheckpointMismatchError } from '../../projections/read-model-store.js';
import { EmptyRecordingError } from '../backtest/backtest-runner.js';
import { ConfigError } from '../config/engine-config.js';
import { MarketDataError } from '../market-data/binance-messages.js';
import { RecordingNotFoundError } from '../market-data/binance-recording.js';
import { StoreUnavailableError } from '../store/event-store.js';
import { InvalidStoreUrlError } from '../store/store-url.js';
import { UnknownSymbolError, VenueUnavailableError } from '../service/live-runner.js';

/** Bad input from the user: a clear message and exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const INPUT_ERRORS = [UsageError, ConfigError, InvalidStoreUrlError, RecordingNotFoundError, MarketDataError, EmptyRecordingError, UnknownSymbolError];
const RUNTIME_ERRORS = [StoreUnavailableError, InvalidEventError, ProjectionFailedError, CheckpointConflictError, CheckpointMismatchError, VenueUnavailableError];

/** Exit code and one-line explanation for an error that ends a command. */
export function describeFailure(err: unknown): { code: number; message: string; expected: boolean } {
  if (INPUT_ERRORS.some((cls) => err instanceof cls)) return { code: 2, message: (err as Error).message, expected: true };
  if (RUNTIME_ERRORS.some((cls) => err instanceof cls)) return { code: 1, message: `${(err as Error).name}: ${(err as Error).message}`, expected: true };
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { code: 1, message: `unexpected failure: ${message}`, expected: false };
}

export function parsePositiveNumber(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} must be a positive number, got "${value}"`);
  return n;
}
