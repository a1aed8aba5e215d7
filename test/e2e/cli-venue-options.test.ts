import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { expectCleanError, mm, tempDir } from './cli-harness.js';

/** The first lines of the bundled recording: a few seconds of real data, enough to quote. */
function tinySlice(lines: number): string {
  const all = gunzipSync(readFileSync(join(BUNDLED_RECORDING, 'btcusdt_20240808.gz'))).toString('utf8');
  let end = 0;
  for (let i = 0; i < lines && end !== -1; i++) end = all.indexOf('\n', end + 1);
  const file = join(tempDir(), 'btcusdt_tiny.gz');
  writeFileSync(file, gzipSync(all.slice(0, end === -1 ? all.length : end + 1)));
  return file;
}

describe('mm backtest --fill-model / --latency', () => {
  it('selects the fill model and the latencies, and says so', async () => {
    const data = tinySlice(4_000);
    const r = await mm(['backtest', '--data', data, '--fill-model', 'through', '--latency', '20,5']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/fill model through, order latency 20 ms, feed latency 5 ms/);
    const byDefault = await mm(['backtest', '--data', data, '--json', '--log-level', 'info']);
    expect(byDefault.code).toBe(0);
    expect(byDefault.stderr).toMatch(/"fillModel":"queue","orderLatencyMs":0,"feedLatencyMs":0/);
  });

  it('refuses an unknown fill model or a bad latency with a clear error', async () => {
    const data = join(BUNDLED_RECORDING, 'btcusdt_20240808.gz');
    expectCleanError(await mm(['backtest', '--data', data, '--fill-model', 'optimistic']), /--fill-model must be one of queue, through, got "optimistic"/, expect);
    expectCleanError(await mm(['backtest', '--data', data, '--latency', '-5']), /--latency: the order latency must be a number of ms >= 0, got "-5"/, expect);
    expectCleanError(await mm(['backtest', '--data', data, '--latency', '1,2,3']), /--latency must be <order-ms>\[,<feed-ms>\]/, expect);
    expectCleanError(await mm(['run', '--fill-model', 'x', '--duration', '1']), /--fill-model must be one of/, expect);
  });
});
