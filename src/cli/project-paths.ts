import { fileURLToPath } from 'node:url';

/** The slice of real Binance data that ships with the project (see its PROVENANCE.md). */
export const BUNDLED_RECORDING = fileURLToPath(new URL('../../recordings/binance-spot-btcusdt', import.meta.url));

export const DEFAULT_SERVICE_STORE = 'sqlite:./data/events.db';
