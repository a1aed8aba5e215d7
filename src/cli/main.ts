import { Command, CommanderError } from 'commander';
import { backtestCommand } from './commands/backtest-command.js';
import { eventsCommand } from './commands/events-command.js';
import { projectCommand, rebuildCommand } from './commands/project-command.js';
import { replayCommand } from './commands/replay-command.js';
import { runCommand } from './commands/run-command.js';
import { syntheticBacktestCommand } from './commands/synthetic-backtest-command.js';
import { describeFailure, UsageError } from './errors.js';

const program = new Command()
  .name('mm')
  .description('Event-sourced market maker: paper trading, backtests, replays and audits of the event log.')
  .exitOverride()
  .showHelpAfterError();

program
  .command('run')
  .description('run the service: paper trading on a recording replayed in wall-clock time, supervised, with the operator API (SIGTERM / Ctrl-C to stop)')
  .option('--data <file-or-folder>', 'recorded market data (default: the bundled Binance BTCUSDT slice)')
  .option('--store <url>', 'event store URL (default: sqlite:./data/events.db)')
  .option('--config <file>', 'engine config (YAML or JSON): defaults and per-pair overrides')
  .option('--duration <seconds>', 'stop after this many seconds')
  .option('--speed <x>', 'replay speed, 1 = real time', '1')
  .option('--fill-model <model>', 'simulated venue: "queue" (queue position, the default) or "through" (any print at or through our price fills)')
  .option('--latency <ms>', 'simulated venue: <order-ms>[,<feed-ms>], order one-way latency and market-data/fill feed latency (default 0,0)')
  .option('--venue <kind>', '"paper" (default: the simulated venue on a recording) or "ccxt" (a real exchange; keys from MM_<EXCHANGE>_API_KEY/_SECRET)')
  .option('--exchange <ids>', 'with --venue ccxt: ccxt exchange id, or a comma list to trade several in one process (pair groups apply), e.g. binance or binance,binanceusdm')
  .option('--sandbox', "with --venue ccxt: the exchange's testnet/sandbox")
  .option('--symbols <list>', 'with --venue ccxt: comma-separated symbols, each traded on every --exchange, or exchange:symbol for one, e.g. BTC/USDT or binance:BTC/USDT,binanceusdm:BTC/USDT:USDT')
  .option('--port <n>', 'operator API and dashboard port on --host (0 = any free port)', '8080')
  .option('--host <address>', 'address the API listens on', '127.0.0.1')
  .option('--no-http', 'no operator API (paper trading only)')
  .option('--inspect [ws-url]', 'send every actor\'s inspection events to the Stately inspector (a loopback relay on :8090, or the given relay)')
  .option('--log-level <level>', 'pino log level')
  .action((o) => runCommand(o));

program
  .command('backtest')
  .description('run the pair actors over recorded data (or a synthetic market) in virtual time, as fast as possible')
  .option('--data <file-or-folder>', 'recorded L2 data (.gz) or Binance kline CSV files; a folder is read as one stream')
  .option('--market <kind>', '"synthetic": the Avellaneda–Stoikov market instead of --data')
  .option('--seed <n>', 'synthetic: seed of the paths', '1')
  .option('--paths <n>', 'synthetic: number of Monte Carlo paths', '20')
  .option('--s0 <price>', 'synthetic: initial mid')
  .option('--sigma <s>', 'synthetic: volatility of the arithmetic Brownian mid')
  .option('--dt <dt>', 'synthetic: time step (model units)')
  .option('--horizon <T>', 'synthetic: horizon (model units)')
  .option('--intensity-a <A>', 'synthetic: order arrival intensity A in A·exp(-k·δ)')
  .option('--intensity-k <k>', 'synthetic: decay k in A·exp(-k·δ)')
  .option('--tick <size>', 'synthetic: tick size')
  .option('--time-unit-ms <ms>', 'synthetic: data-time milliseconds per model time unit')
  .option('--compare <symmetric|file>', 'synthetic: also run "symmetric" quoting (inventory rules off) or a second config over the same seeded paths, and compare')
  .option('--fill-model <model>', 'with --data: "queue" (queue position, the default) or "through" (any print at or through our price fills)')
  .option('--latency <ms>', 'with --data: <order-ms>[,<feed-ms>], order one-way latency and market-data/fill feed latency (default 0,0)')
  .option('--venues <ids>', 'with --data: multi-venue, the recording feeds each of these simulated venue ids, e.g. binance,binance2')
  .option('--store <url>', 'event store URL (default: memory:)')
  .option('--config <file>', 'engine config (YAML or JSON): defaults and per-pair overrides')
  .option('--json', 'print one JSON summary object, last on stdout')
  .option('--log-level <level>', 'pino log level')
  .action((o) => {
    if (o.market !== undefined && o.market !== 'synthetic') throw new UsageError(`--market must be "synthetic", got "${o.market}"`);
    if (o.market === 'synthetic') {
      if (o.data !== undefined) throw new UsageError('give either --data or --market synthetic, not both');
      return syntheticBacktestCommand(o);
    }
    if (o.data === undefined) throw new UsageError('backtest needs --data <file-or-folder> or --market synthetic');
    return backtestCommand(o);
  });

program
  .command('replay')
  .description('rebuild from the event log alone: summaries, --verify every decision, or --pair <id> --at <time>')
  .requiredOption('--store <url>', 'event store URL')
  .option('--verify', 'recompute every QuoteDecided from its recorded inputs with today\'s strategy code; exit 1 on any mismatch')
  .option('--max-mismatches <n>', 'how many mismatches --verify shows in full', '10')
  .option('--pair <id>', 'one pair, e.g. binance-BTC_USDT')
  .option('--at <time>', 'with --pair: the pair as it was at this ISO 8601 time')
  .option('--rebuild', 'recompute the read models from zero and compare them with --read-models; exit 1 on any difference')
  .option('--read-models <url>', 'with --rebuild: the stored read models (sqlite:<path>)')
  .option('--json', 'print one JSON object')
  .action(async (o) => {
    if (o.rebuild) await rebuildCommand(o);
    else await replayCommand(o);
  });

program
  .command('project')
  .description('keep the read models (inventory, PnL, performance) in SQLite up to date with the log, exactly once')
  .requiredOption('--store <url>', 'event store URL')
  .requiredOption('--read-models <url>', 'read-model store: sqlite:<path> (created if absent; not the event store file)')
  .option('--follow', 'stay live after catching up, until Ctrl-C / SIGTERM')
  .option('--batch-size <n>', 'most events per commit while catching up', '500')
  .option('--log-level <level>', 'pino log level')
  .action(async (o) => {
    await projectCommand(o);
  });

program
  .command('events')
  .description('list the event log')
  .requiredOption('--store <url>', 'event store URL')
  .option('--stream <name>', 'only this stream, e.g. pair-binance-BTC_USDT')
  .option('--format <format>', 'jsonl or text', 'text')
  .action((o) => eventsCommand(o));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    const failure = describeFailure(err);
    process.stderr.write(`mm: error: ${failure.message}\n`);
    if (!failure.expected && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = failure.code;
  }
}
