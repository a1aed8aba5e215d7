/**
 * `npm run docs:params`: regenerates the README parameter table from
 * StrategyParamsSchema (src/config/params-table.ts). `--check` only compares,
 * and exits 1 if the README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { paramsTable, tableInReadme, undocumentedParams, withTable } from '../src/config/params-table.js';
import { StrategyParamsSchema } from '../src/config/strategy-params.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const readme = readFileSync(readmePath, 'utf8');
const table = paramsTable(StrategyParamsSchema);
const missing = undocumentedParams(StrategyParamsSchema);
if (missing.length > 0) process.stderr.write(`parameters lacking .meta({ description, unit }):\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);

if (process.argv.includes('--check')) {
  const same = tableInReadme(readme) === table;
  process.stdout.write(same ? 'README parameter table is up to date\n' : 'README parameter table is out of date: run npm run docs:params\n');
  process.exit(same ? 0 : 1);
}
const next = withTable(readme, table);
if (next !== readme) writeFileSync(readmePath, next);
process.stdout.write(`${next === readme ? 'unchanged' : 'updated'}: ${readmePath} (${table.split('\n').length - 2} parameters)\n`);
