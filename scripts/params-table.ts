/**
 * `npm run docs:params`: regenerates, from StrategyParamsSchema
 * (src/config/params-table.ts), the README parameter table and the `defaults`
 * block of config/example.yaml. `--check` only compares, and exits 1 if
 * either is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { between, defaultsYaml, paramsTable, TABLE_END, TABLE_START, undocumentedParams, withBetween, YAML_END, YAML_START } from '../src/config/params-table.js';
import { StrategyParamsSchema } from '../src/config/strategy-params.js';

const targets = [
  { path: fileURLToPath(new URL('../README.md', import.meta.url)), start: TABLE_START, end: TABLE_END, body: paramsTable(StrategyParamsSchema) },
  { path: fileURLToPath(new URL('../config/example.yaml', import.meta.url)), start: YAML_START, end: YAML_END, body: defaultsYaml(StrategyParamsSchema) },
];

const missing = undocumentedParams(StrategyParamsSchema);
if (missing.length > 0) process.stderr.write(`parameters lacking .meta({ description, unit }):\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);

const check = process.argv.includes('--check');
let stale = 0;
for (const t of targets) {
  const text = readFileSync(t.path, 'utf8');
  if (between(text, t.start, t.end) === t.body) {
    process.stdout.write(`up to date: ${t.path}\n`);
    continue;
  }
  stale++;
  if (check) {
    process.stdout.write(`out of date: ${t.path} (run npm run docs:params)\n`);
  } else {
    writeFileSync(t.path, withBetween(text, t.start, t.end, t.body));
    process.stdout.write(`updated: ${t.path}\n`);
  }
}
if (check && stale > 0) process.exit(1);
