import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MM = join(ROOT, 'bin', 'mm.js');
export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'mm-e2e-'));

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `mm` as a user would, as a separate process. */
export function mm(args: readonly string[], options: { cwd?: string; killAfterMs?: number; signal?: NodeJS.Signals } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MM, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => child.kill(options.signal ?? 'SIGINT'), options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A clear error: one `mm: error:` line, no stack trace. */
export function expectCleanError(r: CliResult, pattern: RegExp, expect: (v: unknown) => { toBe(x: unknown): void; toMatch(x: RegExp): void; not: { toMatch(x: RegExp): void } }): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/mm: error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}
