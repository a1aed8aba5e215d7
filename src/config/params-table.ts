import type { z } from 'zod';
import { describeAllowed, fieldInfo, leafFields, objectShape, type LeafField } from './schema-walk.js';
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

/** The text between two markers, or null if the markers are missing. */
export function between(text: string, startMarker: string, endMarker: string): string | null {
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start < 0 || end < start) return null;
  return text.slice(start + startMarker.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

/** `text` with what lies between the markers replaced by `body`. */
export function withBetween(text: string, startMarker: string, endMarker: string, body: string): string {
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`no ${startMarker} ... ${endMarker} markers`);
  return `${text.slice(0, start + startMarker.length)}\n${body}\n${text.slice(end)}`;
}

/** The table between the markers of `readme`, or null if the markers are missing. */
export const tableInReadme = (readme: string): string | null => between(readme, TABLE_START, TABLE_END)?.trim() ?? null;

/** `readme` with the text between the markers replaced by `table`. */
export const withTable = (readme: string, table: string): string => withBetween(readme, TABLE_START, TABLE_END, table);

export const YAML_START = '# params:start';
export const YAML_END = '# params:end';

const yamlScalar = (v: unknown): string => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/**
 * The `defaults:` body of config/example.yaml: every parameter at its default,
 * each under a comment with its effect, unit and allowed range; a parameter
 * without a default is shown commented out.
 */
export function defaultsYaml(schema: z.core.$ZodType, pad = '  ', prefix: readonly string[] = [], defaults: unknown = effectiveDefaults(schema)): string {
  const shape = objectShape(schema);
  if (!shape) return '';
  const lines: string[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const info = fieldInfo(child);
    const path = [...prefix, key];
    if (objectShape(child)) {
      const body = defaultsYaml(child, `${pad}  `, path, defaults);
      if (info.description) lines.push(`${pad}# ${info.description}`);
      lines.push(body ? `${pad}${key}:\n${body}` : `${pad}${key}: {}`);
      continue;
    }
    lines.push(`${pad}# ${info.description ?? MISSING} (${info.unit ?? MISSING}; ${describeAllowed(child)})`);
    const fromParse = defaults === undefined ? undefined : valueAt(defaults, path);
    const value = fromParse !== undefined ? fromParse : info.ownDefault?.value;
    lines.push(value === undefined ? `${pad}# ${key}: (unset)` : `${pad}${key}: ${yamlScalar(value)}`);
  }
  return lines.join('\n');
}
