import type { z } from 'zod';
import { describeAllowed, leafFields, type LeafField } from './schema-walk.js';
import { valueAt } from './config-errors.js';

/*
 * The README parameter table, generated from the strategy parameter schema:
 * one row per leaf parameter with its dotted name, default, unit, allowed
 * range (from the schema's checks) and effect (its `.meta({ description })`).
 * scripts/params-table.ts writes it into README.md; a test fails when the two
 * differ, so the documentation cannot drift from the code.
 */

export const TABLE_START = '<!-- params:start -->';
export const TABLE_END = '<!-- params:end -->';

/** Shown where the schema has no description or unit yet. */
export const MISSING = '—';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function renderDefault(value: unknown): string {
  if (value === undefined) return MISSING;
  if (typeof value === 'string') return `\`"${value}"\``;
  return `\`${JSON.stringify(value)}\``;
}

/** Effective defaults: what parsing an empty object gives, so nested `.prefault({})` groups count. */
function effectiveDefaults(schema: z.core.$ZodType): unknown {
  const parsed = (schema as z.ZodType).safeParse({});
  return parsed.success ? parsed.data : undefined;
}

function defaultOf(field: LeafField, defaults: unknown): unknown {
  const fromParse = defaults === undefined ? undefined : valueAt(defaults, field.path.split('.'));
  return fromParse !== undefined ? fromParse : field.ownDefault?.value;
}

/** The Markdown table of every leaf parameter of `schema`. */
export function paramsTable(schema: z.core.$ZodType): string {
  const defaults = effectiveDefaults(schema);
  const rows = leafFields(schema).map(
    (f) => `| \`${f.path}\` | ${cell(renderDefault(defaultOf(f, defaults)))} | ${cell(f.unit ?? MISSING)} | ${cell(describeAllowed(f.schema))} | ${cell(f.description ?? MISSING)} |`,
  );
  return ['| parameter | default | unit | allowed | effect |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** Leaf parameters without a description or a unit, each with what it lacks. */
export function undocumentedParams(schema: z.core.$ZodType): string[] {
  return leafFields(schema)
    .filter((f) => !f.description || !f.unit)
    .map((f) => `${f.path}: no ${[!f.description ? 'description' : null, !f.unit ? 'unit' : null].filter(Boolean).join(' and no ')}`);
}

/** The table between the markers of `readme`, or null if the markers are missing. */
export function tableInReadme(readme: string): string | null {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return null;
  return readme.slice(start + TABLE_START.length, end).trim();
}

/** `readme` with the text between the markers replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README has no ${TABLE_START} ... ${TABLE_END} markers`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
