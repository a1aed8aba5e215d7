import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { DomainEvent } from '../../events/catalog.js';
import { deriveEventId, envelope, type RecordedEvent } from '../../events/envelope.js';
import { projectPairs } from '../../projections/log-summary.js';
import { summarisePair } from '../../projections/pair-projection.js';
import { ProjectionRunner, type ProjectionRunResult } from '../../projections/projection-runner.js';
import type { ReadModelStore } from '../../projections/read-model-store.js';
import { pairSummaryFromRows, rowsByStream } from '../../projections/read-models.js';
import { diffReadModels, rebuildReadModels } from '../../projections/rebuild.js';
import { runBacktest } from '../../src/backtest/backtest-runner.js';
import { projectCommand, rebuildCommand } from '../../src/cli/commands/project-command.js';
import { BUNDLED_RECORDING } from '../../src/cli/project-paths.js';
import { parseEngineConfig } from '../../src/config/engine-config.js';
import { StrategyParamsSchema } from '../../src/config/strategy-params.js';
import { silentLogger } from '../../src/log/logger.js';
import type { EventStore } from '../../src/store/event-store.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.js';
import { SqliteReadModelStore } from '../../src/store/sqlite-read-model-store.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-projection-'));
let files = 0;
const freshPath = (name = 'read-models'): string => join(dir, `${name}-${++files}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SLICE = join(BUNDLED_RECORDING, 'btcusdt_20240808.gz');

/** Stored rows equal a rebuild of the log up to the stored checkpoint, and each event up to it was applied once. */
async function expectConsistent(store: SqliteReadModelStore, log: readonly RecordedEvent[]): Promise<{ checkpoint: number }> {
  const stored = await store.readAll();
  const comparison = diffReadModels(stored, rebuildReadModels(log, { upTo: stored.position }));
  expect(comparison.differences).toEqual([]);
  expect(stored.eventsApplied).toBe(log.filter((e) => e.position <= stored.position).length);
  return { checkpoint: stored.position };
}

/** The `mm replay` summary of every pair stream equals the one derived from the stored rows. */
async function expectReplaySummary(store: SqliteReadModelStore, log: readonly RecordedEvent[]): Promise<void> {
  const rows = rowsByStream((await store.readAll()).rows);
  const replay = projectPairs(log);
  expect([...rows.keys()].sort()).toEqual([...replay.keys()].sort());
  for (const [stream, pair] of replay) expect(pairSummaryFromRows(rows.get(stream)!)).toEqual(summarisePair(pair));
}

class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

type Interruption = { readonly atCommit: number; readonly mode: 'crash-before-commit' | 'crash-after-commit' | 'stop' };

/** Decorates the real store: the run ends around its n-th commit, the way a crash or an operator would end it. */
function interrupting(inner: ReadModelStore, plan: Interruption, stop: () => void): ReadModelStore {
  let commits = 0;
  return {
    checkpoint: () => inner.checkpoint(),
    loadStream: (stream) => inner.loadStream(stream),
    readAll: () => inner.readAll(),
    close: () => inner.close(),
    async commit(batch) {
      commits += 1;
      if (commits !== plan.atCommit) return inner.commit(batch);
      if (plan.mode === 'crash-before-commit') throw new SimulatedCrash('process died before the commit');
      await inner.commit(batch);
      if (plan.mode === 'crash-after-commit') throw new SimulatedCrash('process died after the commit, before it knew');
      stop();
    },
  };
}

// ---------------------------------------------------------------------------
// Small random logs: every event type the read models look at, two pair streams and one other stream.

const MARKETS = [
  { venue: 'binance', symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001', minNotional: '5', makerFee: '0.0001', takerFee: '0.0004' },
  { venue: 'binance', symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', lotSize: '0.0001', minNotional: '5', makerFee: '0.0001', takerFee: '0.0004' },
] as const;
const STREAMS = ['pair-binance-BTC_USDT', 'pair-binance-ETH_USDT', 'operator-audit'] as const;
const PAUSE_REASONS = ['feed-stale', 'feed-problem', 'operator', 'fenced'] as const;

const action = fc.record({
  stream: fc.integer({ min: 0, max: 2 }),
  kind: fc.integer({ min: 0, max: 14 }),
  a: fc.nat(10_000),
  b: fc.nat(999),
  c: fc.nat(3),
  flag: fc.boolean(),
});
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

interface StreamScript {
  readonly orders: string[];
  readonly tradeIds: string[];
  started: boolean;
}

/** Turn abstract actions into valid domain events; a pair stream opens with PairStarted unless the action says otherwise. */
function eventFor(stream: number, act: Action, script: StreamScript, n: number): DomainEvent {
  if (stream === 2) return { type: 'OperatorCommand', data: { identity: 'ops', command: 'pause', reason: `r${n}` } };
  const market = MARKETS[stream as 0 | 1];
  if (!script.started && (act.kind === 14 || !act.flag || act.c > 0)) {
    script.started = true;
    return { type: 'PairStarted', data: { pairId: `binance-${market.base}_USDT`, instanceId: 'prop', market, params: StrategyParamsSchema.parse({}), paramsVersion: 1, mode: 'backtest' } };
  }
  const order = script.orders.length === 0 ? undefined : script.orders[act.a % script.orders.length];
  const price = (100 + (act.a % 200) / 100).toFixed(2);
  const amount = ((act.b + 1) / 1000).toString();
  const needsOrder = act.kind >= 3 && act.kind <= 7;
  const kind = needsOrder && order === undefined ? 1 : act.kind;
  switch (kind) {
    case 0:
      return { type: 'QuoteDecided', data: { paramsVersion: 1, inputs: { ts: n, mid: price, bestBid: price, bestAsk: price, volatilityBps: '0', position: '0', reduceOnly: false }, output: { bids: [], asks: [], rules: [], reason: 'prop' } } };
    case 1:
    case 2: {
      const id = `o${stream}-${n}`;
      script.orders.push(id);
      return { type: 'OrderPlaced', data: { clientOrderId: id, side: act.flag ? 'buy' : 'sell', price, amount, postOnly: true, reduceOnly: false, level: act.c } };
    }
    case 3:
      return { type: 'OrderAcknowledged', data: { clientOrderId: order!, venueOrderId: `v-${order}` } };
    case 4:
      return { type: 'OrderCancelled', data: { clientOrderId: order!, reason: 'prop', ...(act.flag ? { remaining: '0.001' } : {}) } };
    case 5:
      return { type: 'OrderRejected', data: { clientOrderId: order!, reason: 'prop' } };
    default: {
      if (kind !== 6 && kind !== 7) break;
      // A venue that repeats itself: reuse an earlier trade id now and then.
      const repeat = act.flag && act.c === 0 && script.tradeIds.length > 0;
      const tradeId = repeat ? script.tradeIds[act.b % script.tradeIds.length]! : `t${stream}-${n}`;
      if (!repeat) script.tradeIds.push(tradeId);
      const fee = act.c === 3 ? '-0.0012' : (act.b / 100_000).toString();
      return {
        type: 'OrderFilled',
        data: { tradeId, clientOrderId: order!, venueOrderId: `v-${order}`, side: act.a % 2 ? 'buy' : 'sell', price, amount, fee, feeCurrency: act.c === 1 ? market.base : market.quote, liquidity: act.flag ? 'maker' : 'taker', remaining: act.c === 2 ? '0' : '0.002', fillTs: n },
      };
    }
  }
  switch (kind) {
    case 8:
      return { type: 'Paused', data: { from: 'quoting', to: 'paused', reason: PAUSE_REASONS[act.c]!, detail: 'prop', numbers: { n } } };
    case 9:
      return { type: 'Resumed', data: { from: 'paused', to: 'quoting', reason: 'prop', detail: 'prop' } };
    case 10:
      return { type: 'ShockDetected', data: { from: 'quoting', to: 'shock-cooldown', price, referencePrice: '100', movePct: 2.5, thresholdPct: 2, windowMs: 5000, cooldownUntil: n, rearms: act.c % 2 } };
    case 11:
      return { type: 'ShockCleared', data: { from: 'shock-cooldown', to: 'quoting', price, referencePrice: price, distancePct: 0, resumeBandPct: 0.5 } };
    case 12:
      return { type: 'LiquidationStarted', data: { from: 'quoting', to: 'liquidating', position: '0.09', hardLimit: '0.08', targetPosition: '0.05', excess: '0.04' } };
    case 13:
      return { type: 'LiquidationCompleted', data: { from: 'liquidating', to: 'quoting', position: '0.05', maxPosition: '0.05' } };
    default:
      script.started = true;
      return { type: 'PairStarted', data: { pairId: `binance-${market.base}_USDT`, instanceId: 'prop-2', market, params: StrategyParamsSchema.parse({}), paramsVersion: 2, mode: 'backtest' } };
  }
}

async function writeLog(store: MemoryEventStore, actions: readonly Action[]): Promise<void> {
  const scripts = STREAMS.map((): StreamScript => ({ orders: [], tradeIds: [], started: false }));
  const revisions = STREAMS.map(() => -1);
  for (const [n, act] of actions.entries()) {
    const stream = STREAMS[act.stream]!;
    const revision = revisions[act.stream]! + 1;
    const id = deriveEventId('prop', stream, revision);
    const event = envelope(eventFor(act.stream, act, scripts[act.stream]!, n), { id, time: 1_723_161_254_000 + n, metadata: { correlationId: id, causationId: null, instanceId: 'prop', configVersion: 1 } });
    await store.append(stream, [event], revision === 0 ? 'no_stream' : revision - 1);
    revisions[act.stream] = revision;
  }
}

describe('projection runner: exactly once across restarts', () => {
  it('random logs, stopped or crashed at random commits and restarted, end equal to a rebuild from zero and to mm replay', async () => {
    const interruption = fc.record({ atCommit: fc.integer({ min: 1, max: 6 }), mode: fc.constantFrom<Interruption['mode']>('crash-before-commit', 'crash-after-commit', 'stop') });
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 1, maxLength: 70 }),
        fc.array(fc.tuple(interruption, fc.integer({ min: 1, max: 9 })), { maxLength: 4 }),
        fc.integer({ min: 1, max: 50 }),
        async (actions, interruptions, finalBatch) => {
          const events = new MemoryEventStore();
          await writeLog(events, actions);
          const log = await events.readAll();
          const path = freshPath();
          let last = 0;
          for (const [plan, batchSize] of interruptions) {
            // Each run opens its own connection: state comes back from disk, not from memory.
            const store = SqliteReadModelStore.open(path);
            let runner: ProjectionRunner | undefined;
            runner = new ProjectionRunner({ events, readModels: interrupting(store, plan, () => runner?.stop()), batchSize });
            await runner.run().catch((error: unknown) => {
              if (!(error instanceof SimulatedCrash)) throw error;
            });
            const { checkpoint } = await expectConsistent(store, log);
            expect(checkpoint).toBeGreaterThanOrEqual(last);
            last = checkpoint;
            await store.close();
          }
          const store = SqliteReadModelStore.open(path);
          const result = await new ProjectionRunner({ events, readModels: store, batchSize: finalBatch }).run();
          expect(result).toMatchObject({ checkpoint: log.at(-1)!.position, reason: 'caught-up' });
          await expectConsistent(store, log);
          await expectReplaySummary(store, log);
          await store.close();
          await events.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** The log of a real backtest of the bundled recording, in memory; shared by the tests below. */
let events: MemoryEventStore;
let log: RecordedEvent[];
beforeAll(async () => {
  events = new MemoryEventStore();
  await runBacktest({ dataPath: SLICE, store: events, config: parseEngineConfig({}, 'test'), logger: silentLogger() });
  log = await events.readAll();
});
afterAll(() => events.close());

/** Append runs of consecutive same-stream events as one batch each, so positions come out as they were. */
async function copyLog(from: readonly RecordedEvent[], into: EventStore): Promise<void> {
  for (let i = 0; i < from.length; ) {
    const first = from[i]!;
    let j = i;
    while (j < from.length && from[j]!.stream === first.stream) j++;
    await into.append(first.stream, from.slice(i, j).map(({ stream: _s, revision: _r, position: _p, ...event }) => event), first.revision === 0 ? 'no_stream' : first.revision - 1);
    i = j;
  }
}

describe('projection runner on the log of a real backtest (bundled recording)', () => {
  it('projects every event once; the rows equal a rebuild and mm replay; a second run has nothing to do', async () => {
    const store = SqliteReadModelStore.open(freshPath());
    const commits: number[] = [];
    const result = await new ProjectionRunner({ events, readModels: store, onCommit: (c) => commits.push(c.events) }).run();
    expect(result).toMatchObject({ from: 0, checkpoint: log.at(-1)!.position, head: log.at(-1)!.position, events: log.length, reason: 'caught-up' });
    // Batched: at most 500 events per commit.
    expect(Math.max(...commits)).toBeLessThanOrEqual(500);
    expect(commits.reduce((a, b) => a + b, 0)).toBe(log.length);
    await expectConsistent(store, log);
    await expectReplaySummary(store, log);
    const fills = log.filter((e) => e.type === 'OrderFilled').length;
    const [performance] = (await store.readAll()).rows.performance;
    expect(performance).toMatchObject({ fills, orders_placed: log.filter((e) => e.type === 'OrderPlaced').length, decisions: log.filter((e) => e.type === 'QuoteDecided').length });
    expect(await new ProjectionRunner({ events, readModels: store }).run()).toMatchObject({ events: 0, commits: 0, reason: 'caught-up' });
    expect(store.diagnostics()).toMatchObject({ journalMode: 'wal', synchronous: 'full' });
    await store.close();
  });

  it('resumes after a crash inside the commit transaction: the transaction never commits, nothing of it remains', async () => {
    const path = freshPath();
    const store = SqliteReadModelStore.open(path);
    // The last statement of the commit fails once past position 1000, after the rows, state and keys were written.
    const raw = new Database(path);
    raw.exec(`CREATE TRIGGER crash BEFORE UPDATE ON projection_checkpoint WHEN NEW.position > 1000 BEGIN SELECT RAISE(ABORT, 'simulated crash in the commit'); END`);
    const failure = await new ProjectionRunner({ events, readModels: store, batchSize: 300 }).run().then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failure?.name).toBe('StoreUnavailableError');
    expect(failure?.message).toMatch(/simulated crash in the commit/);
    const { checkpoint } = await expectConsistent(store, log);
    expect(checkpoint).toBe(log[899]!.position);
    const tradeIdsKept = raw.prepare("SELECT count(*) FROM projection_seen WHERE kind = 'trade-id'").pluck().get();
    expect(tradeIdsKept).toBe(log.filter((e) => e.position <= checkpoint && e.type === 'OrderFilled').length);
    raw.exec('DROP TRIGGER crash');
    raw.close();
    await store.close();

    const reopened = SqliteReadModelStore.open(path);
    const result = await new ProjectionRunner({ events, readModels: reopened }).run();
    expect(result).toMatchObject({ from: checkpoint, events: log.length - 900, reason: 'caught-up' });
    await expectConsistent(reopened, log);
    await expectReplaySummary(reopened, log);
    await reopened.close();
  });

  it('a second runner on the same read models cannot commit over the first', async () => {
    const path = freshPath();
    const a = SqliteReadModelStore.open(path);
    const b = SqliteReadModelStore.open(path);
    const batch = { expectedCheckpoint: 0, checkpoint: 1, checkpointEventId: log[0]!.id, events: 1, streams: [] };
    await a.commit(batch);
    await expect(b.commit(batch)).rejects.toThrow(/another projection runner/);
    await a.close();
    await b.close();
  });

  it('follows the log live and stops after the commit in hand', async () => {
    const live = new MemoryEventStore();
    const half = Math.floor(log.length / 2);
    const copy = (from: number, to: number) => copyLog(log.slice(from, to), live);
    await copy(0, half);
    const store = SqliteReadModelStore.open(freshPath());
    let reached: (() => void) | undefined;
    const target = log.at(-1)!.position;
    const runner = new ProjectionRunner({ events: live, readModels: store, onCommit: (c) => c.checkpoint >= target && reached?.() });
    const done = new Promise<void>((resolve) => (reached = resolve));
    const running = runner.run({ follow: true });
    // Live appends in small batches, each delivered while the runner follows.
    for (let i = half; i < log.length; i += 97) await copy(i, Math.min(i + 97, log.length));
    await done;
    runner.stop();
    const result: ProjectionRunResult = await running;
    expect(result).toMatchObject({ reason: 'stopped', checkpoint: target, head: null });
    await expectConsistent(store, log);
    await store.close();
    await live.close();
  });

  it('a corrupt event stops the runner with InvalidEventError; the checkpoint stays before it, and a restart stops there again', async () => {
    const corrupt = new MemoryEventStore();
    await copyLog(log.slice(0, 400), corrupt);
    const victim = log[250]!;
    corrupt.corruptForTest(victim.stream, victim.revision, { data: '{"clientOrderId": 42}' });
    const path = freshPath();
    for (let attempt = 0; attempt < 2; attempt++) {
      const store = SqliteReadModelStore.open(path);
      await expect(new ProjectionRunner({ events: corrupt, readModels: store, batchSize: 100 }).run()).rejects.toMatchObject({ name: 'InvalidEventError', stream: victim.stream, revision: victim.revision });
      const { checkpoint } = await expectConsistent(store, log.slice(0, 250));
      expect(checkpoint).toBe(log[249]!.position);
      await store.close();
    }
    await corrupt.close();
  });
});

describe('read models: refusals and reports', () => {
  it('a stored fold state that cannot be read stops the runner with a clear error, the rows untouched', async () => {
    const events = new MemoryEventStore();
    await writeLog(events, Array.from({ length: 12 }, (_, n) => ({ stream: 0, kind: n % 3, a: n, b: n, c: 1, flag: true })));
    const log = await events.readAll();
    const path = freshPath();
    const store = SqliteReadModelStore.open(path);
    await new ProjectionRunner({ events, readModels: store }).run();
    const last = log.at(-1)!;
    const id = deriveEventId('prop', last.stream, last.revision + 1);
    await events.append(last.stream, [envelope({ type: 'FeedStale', data: { lastDataTs: null, ageMs: 6000, maxAgeMs: 5000 } }, { id, time: 1_723_161_300_000, metadata: { correlationId: id, causationId: null, instanceId: 'prop', configVersion: 1 } })], last.revision);
    const raw = new Database(path);
    raw.prepare("UPDATE projection_state SET state = '{\"format\": 1}'").run();
    raw.close();
    await expect(new ProjectionRunner({ events, readModels: store }).run()).rejects.toMatchObject({ name: 'ProjectionFailedError', message: expect.stringMatching(/stored projection state .* unusable/) });
    expect((await store.checkpoint()).position).toBe(log.at(-1)!.position);
    await store.close();
  });

  it('an event store file is not taken for read models, nor read models for an event store', async () => {
    const eventsPath = freshPath('events');
    await SqliteEventStore.open(eventsPath).close();
    expect(() => SqliteReadModelStore.open(eventsPath)).toThrow(/not a read-model store/);
    const readModelsPath = freshPath();
    await SqliteReadModelStore.open(readModelsPath).close();
    expect(() => SqliteEventStore.open(readModelsPath)).toThrow(/not an event store/);
  });

  it('read models projected from another log are refused by the runner and reported by the comparison', async () => {
    const other = new MemoryEventStore();
    await writeLog(other, Array.from({ length: 40 }, (_, n) => ({ stream: n % 2, kind: n % 8, a: n, b: n, c: n % 4, flag: true })));
    const store = SqliteReadModelStore.open(freshPath());
    await new ProjectionRunner({ events: other, readModels: store, batchSize: 25, onCommit: function () {} }).run();
    const stored = await store.readAll();
    expect(stored.position).toBe(40);
    // The backtest log has an event at position 40 too, but not this one.
    await expect(new ProjectionRunner({ events, readModels: store }).run()).rejects.toMatchObject({ name: 'CheckpointMismatchError', position: 40 });
    const comparison = diffReadModels(stored, rebuildReadModels(log, { upTo: stored.position }));
    expect(comparison.differences).toEqual(expect.arrayContaining([{ stream: '(log)', table: 'checkpoint', column: 'event_id', stored: stored.eventId, rebuilt: log[39]!.id }]));
    await store.close();
    await other.close();
  });

  it('a checkpoint behind the head is reported, not counted as a difference; one past the head is a difference', async () => {
    const events = new MemoryEventStore();
    await writeLog(events, Array.from({ length: 30 }, (_, n) => ({ stream: n % 3, kind: n % 8, a: n, b: n, c: n % 4, flag: n % 2 === 0 })));
    const log = await events.readAll();
    const store = SqliteReadModelStore.open(freshPath());
    const runner = new ProjectionRunner({ events, readModels: store, batchSize: 10, onCommit: () => runner.stop() });
    await runner.run();
    const stored = await store.readAll();
    expect(stored.position).toBe(10);
    const behind = diffReadModels(stored, rebuildReadModels(log, { upTo: stored.position }));
    expect(behind).toMatchObject({ differences: [], checkpoint: 10, head: 30, behind: true });
    const ahead = diffReadModels(stored, rebuildReadModels(log.slice(0, 5)));
    expect(ahead.differences).toEqual(expect.arrayContaining([{ stream: '(log)', table: 'checkpoint', column: 'position', stored: 10, rebuilt: 5 }]));
    await store.close();
  });
});

describe('mm project and mm replay --rebuild (the command functions)', () => {
  it('projects a SQLite log, finds no difference, then reports a tampered value and exits 1', async () => {
    const storePath = freshPath('events');
    const readModelsPath = freshPath();
    const s = SqliteEventStore.open(storePath, { synchronous: 'normal' });
    await copyLog(log, s);
    await s.close();
    const head = log.at(-1)!.position;

    const stdout: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (stdout.push(String(chunk)), true));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exitCode = process.exitCode;
    try {
      const result = await projectCommand({ store: `sqlite:${storePath}`, readModels: `sqlite:${readModelsPath}`, batchSize: '250' });
      expect(result).toMatchObject({ checkpoint: head, reason: 'caught-up' });
      expect(stdout.join('')).toMatch(/BTCUSDT\s+stopped/);

      stdout.length = 0;
      const clean = await rebuildCommand({ store: `sqlite:${storePath}`, readModels: `sqlite:${readModelsPath}`, json: true });
      expect(clean.differences).toEqual([]);
      expect(process.exitCode).toBe(exitCode);
      expect(JSON.parse(stdout.join('').trim())).toMatchObject({ events: head, streams: 1, differences: [], checkpoint: head, head, behind: false });

      const raw = new Database(readModelsPath);
      raw.prepare("UPDATE read_pnl SET fees = '0' WHERE stream = 'pair-binance-BTC_USDT'").run();
      raw.close();
      stdout.length = 0;
      const tampered = await rebuildCommand({ store: `sqlite:${storePath}`, readModels: `sqlite:${readModelsPath}`, json: true });
      expect(tampered.differences).toEqual([{ stream: 'pair-binance-BTC_USDT', table: 'pnl', column: 'fees', stored: '0', rebuilt: expect.stringMatching(/^\d+\.\d+$/) }]);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = exitCode;
      write.mockRestore();
      stderr.mockRestore();
    }
  });

  it('refuses bad --read-models values with a usage error', async () => {
    await expect(projectCommand({ store: 'memory:', readModels: 'memory:' })).rejects.toMatchObject({ name: 'UsageError' });
    await expect(projectCommand({ store: 'memory:', readModels: 'postgres://x' })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/--read-models/) });
    const same = freshPath('events');
    await expect(projectCommand({ store: `sqlite:${same}`, readModels: `sqlite:${same}` })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/own file/) });
    await expect(projectCommand({ store: 'memory:', readModels: `sqlite:${freshPath()}`, batchSize: '0' })).rejects.toMatchObject({ name: 'UsageError' });
    await expect(rebuildCommand({ store: 'memory:', readModels: `sqlite:${freshPath()}` })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/mm project first/) });
    await expect(rebuildCommand({ store: 'memory:' })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/--rebuild needs --read-models/) });
    await expect(rebuildCommand({ store: 'memory:', readModels: `sqlite:${freshPath()}`, verify: true })).rejects.toMatchObject({ name: 'UsageError' });
  });
});
