import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Keys that may carry credentials anywhere in a log object. */
export const REDACTED_PATHS = [
  'apiKey',
  'secret',
  'password',
  'token',
  'authorization',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.token',
  '*.authorization',
  '*.headers.authorization',
  'exchange.apiKey',
  'exchange.secret',
];

export interface LoggerOptions {
  readonly level?: string;
  /** Human-readable output; defaults to on when stderr is a terminal. */
  readonly pretty?: boolean;
}

/**
 * Logs go to stderr, one JSON event per line, so stdout stays clean for
 * command results (`--json`, jsonl exports).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const base = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } };
  const usePretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (usePretty) return pino(base, pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l' }));
  return pino(base, pino.destination({ dest: 2, sync: true }));
}

/** A logger that writes nothing, for tests that assert on behaviour, not logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
