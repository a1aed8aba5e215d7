import type { PairSummary } from '../../projections/pair-projection.js';

/** Human-readable per-pair summary on stdout. */
export function printPairTable(pairs: Record<string, PairSummary>): void {
  const rows = Object.entries(pairs).map(([name, s]) => [name, s.state, String(s.decisions), String(s.orders), String(s.fills), s.position, s.realizedPnl, s.unrealizedPnl, s.fees, s.netPnl]);
  const header = ['pair', 'state', 'quotes', 'orders', 'fills', 'position', 'realized', 'unrealized', 'fees', 'net'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(header)}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  if (rows.length === 0) process.stdout.write('(no pairs)\n');
}
