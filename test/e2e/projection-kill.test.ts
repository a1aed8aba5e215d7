import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '../../events/envelope.js';
import { diffReadModels, rebuildReadModels } from '../../projections/rebuild.js';
import { runBacktest } from '../../src/backtest/backtest-runner.js';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { parseEngineConfig } from '../../src/config/engine-config.js';
import { silentLogger } from '../../src/log/logger.js';
import type { EventStore } from '../../src/store/event-store.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../src/store/sqlite-read-model-store.js';
import { ROOT, tempDir } from './cli-harness.js';

const CHILD = join(ROOT, 'test', 'e2e', 'projection-child.ts');
const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The runner in its own process; `signalAt` decides, from the checkpoint as
 * an outside reader sees it, when to send `signal` (default SIGKILL).
 */
function projectInChild(
  store: string,
  readModelsPath: string,
  opts: { batchSize?: number; follow?: boolean; signalAt?: (checkpoint: number) => boolean; signal?: NodeJS.Signals } = {},
): Promise<Exit> {
  const { signalAt } = opts;
  return new Promise((resolve, reject) => {
    const args = [CHILD, store, `sqlite:${readModelsPath}`, String(opts.batchSize ?? 500), opts.follow ? 'follow' : 'once'];
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exited = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr });
    });
    if (!signalAt) return;
    void (async () => {
      // Watch the checkpoint from outside, as any reader of the read models would, and pull the plug.
      let reader: Database.Database | undefined;
      try {
        while (!exited) {
          reader ??= openReader(readModelsPath);
          const checkpoint = reader === undefined ? null : readCheckpoint(reader);
          if (checkpoint !== null && signalAt(checkpoint)) {
            child.kill(opts.signal ?? 'SIGKILL');
            return;
          }
          await sleep(2);
        }
      } finally {
        reader?.close();
      }
    })();
  });
}

function openReader(path: string): Database.Database | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return new Database(path, { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
}

function readCheckpoint(db: Database.Database): number | null {
  try {
    return Number(db.prepare('SELECT position FROM projection_checkpoint WHERE id = 1').pluck().get());
  } catch {
    return null; // Not migrated yet.
  }
}

/** What survived: rows equal to a rebuild up to the checkpoint, and every event up to it applied exactly once. */
async function expectIntact(path: string, log: readonly RecordedEvent[]): Promise<number> {
  const store = SqliteReadModelStore.open(path);
  try {
    const stored = await store.readAll();
    const comparison = diffReadModels(stored, rebuildReadModels(log, { upTo: stored.position }));
    expect(comparison.differences).toEqual([]);
    const upTo = log.filter((e) => e.position <= stored.position);
    expect(stored.eventsApplied).toBe(upTo.length);
    // Fills are the count a double application would inflate: one per OrderFilled event (the backtest repeats no trade id).
    for (const row of stored.rows.performance) {
      expect(row.fills).toBe(upTo.filter((e) => e.stream === row.stream && e.type === 'OrderFilled').length);
    }
    return stored.position;
  } finally {
    await store.close();
  }
}

/** Append runs of consecutive same-stream events as one batch each, so positions come out as they were. */
async function copyLog(log: readonly RecordedEvent[], into: EventStore): Promise<void> {
  for (let i = 0; i < log.length; ) {
    const first = log[i]!;
    let j = i;
    while (j < log.length && log[j]!.stream === first.stream) j++;
    const batch = log.slice(i, j).map(({ stream: _s, revision: _r, position: _p, ...event }) => event);
    await into.append(first.stream, batch, first.revision === 0 ? 'no_stream' : first.revision - 1);
    i = j;
  }
}

describe('projection runner as a process (a real SQLite file)', () => {
  let log: RecordedEvent[];

  beforeAll(async () => {
    // Backtest in memory (fast); each test copies the log into SQLite: same events, same positions.
    const memory = new MemoryEventStore();
    await runBacktest({ dataPath: join(BUNDLED_RECORDING, 'btcusdt_20240808.gz'), store: memory, config: parseEngineConfig({}, 'e2e'), logger: silentLogger() });
    log = await memory.readAll();
    await memory.close();
  });

  it('killed -9 twice mid-way, restarted to completion: the read models equal the rebuild, each event applied exactly once', async () => {
    const eventsPath = join(dir, 'events.db');
    const events = SqliteEventStore.open(eventsPath, { synchronous: 'normal' });
    await copyLog(log, events);
    await events.close();
    const head = log.at(-1)!.position;
    expect(log.filter((e) => e.type === 'OrderFilled').length).toBeGreaterThan(10);

    const store = `sqlite:${eventsPath}`;
    const readModels = join(dir, 'read-models.db');
    let last = 0;
    for (const fraction of [0.1, 0.4]) {
      // One commit per event, so the kill lands mid-way through the catch-up.
      const killed = await projectInChild(store, readModels, { batchSize: 1, signalAt: (checkpoint) => checkpoint >= head * fraction });
      expect(killed.signal).toBe('SIGKILL');
      const checkpoint = await expectIntact(readModels, log);
      expect(checkpoint).toBeGreaterThan(last);
      expect(checkpoint).toBeLessThan(head);
      last = checkpoint;
    }

    const finished = await projectInChild(store, readModels);
    expect(finished.stderr).not.toMatch(/error/i);
    expect(finished.code).toBe(0);
    expect(finished.stdout).toMatch(new RegExp(`checkpoint ${last} -> ${head} \\(log head ${head}\\), caught-up`));
    expect(await expectIntact(readModels, log)).toBe(head);
  });

  it('--follow picks up events another process appends, and SIGINT ends it with exit 0 after the commit in hand', async () => {
    const eventsPath = join(dir, 'follow-events.db');
    const half = Math.floor(log.length / 2);
    const writer = SqliteEventStore.open(eventsPath, { synchronous: 'normal' });
    await copyLog(log.slice(0, half), writer);
    const readModels = join(dir, 'follow-read-models.db');
    const head = log.at(-1)!.position;
    let appending: Promise<void> | undefined;
    const following = projectInChild(`sqlite:${eventsPath}`, readModels, {
      follow: true,
      signal: 'SIGINT',
      signalAt: (checkpoint) => {
        if (checkpoint >= log[half - 1]!.position && appending === undefined) {
          // The second half arrives in several appends while the child follows: it polls for commits made through other connections.
          appending = (async () => {
            for (let i = half; i < log.length; i += 250) {
              await copyLog(log.slice(i, i + 250), writer);
              await sleep(20);
            }
          })();
        }
        return checkpoint === head;
      },
    });
    const exit = await following;
    await appending;
    await writer.close();
    expect(exit.stderr).not.toMatch(/error/i);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(new RegExp(`checkpoint 0 -> ${head}, stopped`));
    expect(await expectIntact(readModels, log)).toBe(head);
  });
});
