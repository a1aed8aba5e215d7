import { z } from 'zod';
import { DECIMAL_STRING_PATTERN } from '../src/core/decimal.js';

/** Money and sizes travel as exact decimal strings, never binary floats. */
export const DecimalString = z.string().regex(DECIMAL_STRING_PATTERN, 'must be a plain decimal string');
export type DecimalString = z.infer<typeof DecimalString>;

export const PositiveDecimalString = DecimalString.refine((s) => Number(s) > 0 && !s.startsWith('-'), 'must be > 0');

export const NonNegativeDecimalString = DecimalString.refine((s) => !s.startsWith('-'), 'must be >= 0');

export const SideSchema = z.enum(['buy', 'sell']);

export const PairStateSchema = z.enum(['starting', 'quoting', 'paused', 'shock-cooldown', 'liquidating', 'stopped']);
export type PairState = z.infer<typeof PairStateSchema>;

/** Epoch milliseconds (data time in backtests). */
export const EpochMs = z.number().int().nonnegative();

export const IsoTime = z.iso.datetime({ offset: false, precision: 3 });
