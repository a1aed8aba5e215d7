import { z } from 'zod';
import { DecimalString, NonNegativeDecimalString, PositiveDecimalString } from '../../events/primitives.js';
import { DECIMAL_STRING_PATTERN } from '../core/decimal.js';

/*
 * Reading zod 4 schemas as data: what a field is, its range, its default and
 * its `.meta({ description, unit })`. The config error messages (the allowed
 * range of a bad value) and the README parameter table both come from here, so
 * the documentation and the validation cannot tell different stories.
 */

type Schema = z.core.$ZodType;

interface Def {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly shape?: Record<string, Schema>;
  readonly element?: Schema;
  readonly valueType?: Schema;
  readonly options?: readonly Schema[];
  readonly entries?: Record<string, string | number>;
  readonly values?: readonly unknown[];
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly defaultValue?: unknown;
}

interface CheckDef {
  readonly check: string;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
}

const defOf = (s: Schema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers that do not change what a field is: their inner schema is the field. */
const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'nonoptional', 'catch']);

export interface FieldInfo {
  /** The schema under every wrapper. */
  readonly core: Schema;
  readonly description: string | null;
  readonly unit: string | null;
  /** The field's own `.default()` / `.prefault()` value, if it has one. */
  readonly ownDefault: { readonly value: unknown } | null;
}

function metaOf(s: Schema): Record<string, unknown> {
  const fromRegistry = z.globalRegistry.get(s as z.ZodType) as Record<string, unknown> | undefined;
  const described = (s as { description?: string }).description;
  return { ...(described ? { description: described } : {}), ...fromRegistry };
}

/** Unwraps default/prefault/optional/pipe, reading meta at every level (the outermost wins: `.meta()` comes last). */
export function fieldInfo(schema: Schema): FieldInfo {
  let description: string | null = null;
  let unit: string | null = null;
  let ownDefault: { value: unknown } | null = null;
  let s = schema;
  for (let depth = 0; depth < 32; depth++) {
    const meta = metaOf(s);
    if (description === null && typeof meta['description'] === 'string') description = meta['description'];
    if (unit === null && typeof meta['unit'] === 'string') unit = meta['unit'];
    const def = defOf(s);
    if ((def.type === 'default' || def.type === 'prefault') && ownDefault === null) {
      const v = def.defaultValue;
      ownDefault = { value: typeof v === 'function' ? (v as () => unknown)() : v };
    }
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return { core: s, description, unit, ownDefault };
}

/** The fields of an object schema (under its wrappers), or null if it is not an object. */
export function objectShape(schema: Schema): Record<string, Schema> | null {
  const def = defOf(fieldInfo(schema).core);
  return def.type === 'object' && def.shape ? def.shape : null;
}

/** The schema at a key path (object keys and array indices), or null where the path leaves the schema. */
export function schemaAtPath(root: Schema, path: readonly PropertyKey[]): Schema | null {
  let s: Schema = root;
  for (const key of path) {
    const core = fieldInfo(s).core;
    const def = defOf(core);
    if (def.type === 'object' && def.shape && typeof key === 'string' && key in def.shape) s = def.shape[key] as Schema;
    else if (def.type === 'array' && def.element && typeof key === 'number') s = def.element;
    else if (def.type === 'record' && def.valueType) s = def.valueType;
    else return null;
  }
  return s;
}

// Keyed by definition: `.meta()` and `.describe()` clone a schema but keep its definition.
const NAMED_STRINGS = new Map<unknown, string>([
  [defOf(PositiveDecimalString), 'a decimal string > 0'],
  [defOf(NonNegativeDecimalString), 'a decimal string >= 0'],
  [defOf(DecimalString), 'a decimal string'],
]);

const namedString = (core: Schema): string | undefined => NAMED_STRINGS.get(defOf(core));

/** A string checked against the decimal pattern is a decimal string, whoever built it. */
function describeString(def: Def): string {
  const decimal = (def.checks ?? []).some((c) => {
    const cd = c._zod.def as CheckDef & { pattern?: RegExp };
    return cd.check === 'string_format' && cd.format === 'regex' && cd.pattern?.source === DECIMAL_STRING_PATTERN.source;
  });
  return decimal ? 'a decimal string' : 'a string';
}

/** A decimal-string field: its refinements say "must be > 0"; the range in words says more. */
export const isNamedString = (schema: Schema): boolean => namedString(fieldInfo(schema).core) !== undefined || describeAllowed(schema).startsWith('a decimal string');

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : String(n));

/**
 * What values a field accepts, in words: `> 0 and <= 10000`, `an integer >= 1
 * and <= 50`, `one of: mid, microprice`, `a decimal string > 0`.
 */
export function describeAllowed(schema: Schema): string {
  const core = fieldInfo(schema).core;
  const named = namedString(core);
  if (named) return named;
  const def = defOf(core);
  switch (def.type) {
    case 'number': {
      let lower: string | null = null;
      let upper: string | null = null;
      let integer = false;
      for (const c of def.checks ?? []) {
        const cd = c._zod.def;
        if (cd.check === 'greater_than' && cd.value !== undefined) lower = `${cd.inclusive ? '>=' : '>'} ${fmt(cd.value)}`;
        else if (cd.check === 'less_than' && cd.value !== undefined) upper = `${cd.inclusive ? '<=' : '<'} ${fmt(cd.value)}`;
        else if (cd.check === 'number_format' && (cd.format === 'safeint' || cd.format === 'int32' || cd.format === 'uint32')) integer = true;
      }
      const bounds = [lower, upper].filter((b): b is string => b !== null).join(' and ');
      if (integer) return bounds ? `an integer ${bounds}` : 'an integer';
      return bounds || 'a number';
    }
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of: ${Object.values(def.entries ?? {}).join(', ')}`;
    case 'literal':
      return `exactly ${(def.values ?? []).map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'string':
      return describeString(def);
    case 'object':
      return 'an object';
    case 'array':
      return `a list of ${describeAllowed(def.element as Schema).replace(/^an? /, '')}`;
    case 'union':
      return (def.options ?? []).map(describeAllowed).join(', or ');
    default:
      return def.type;
  }
}

/** The allowed values of an enum field, for "did you mean". */
export function enumValues(schema: Schema): readonly string[] {
  const def = defOf(fieldInfo(schema).core);
  return def.type === 'enum' ? Object.values(def.entries ?? {}).map(String) : [];
}

export interface LeafField extends FieldInfo {
  /** Dotted path, e.g. `inventory.maxPosition`. */
  readonly path: string;
  readonly schema: Schema;
}

/** Every leaf (non-object) field under an object schema, depth first, in declaration order. */
export function leafFields(root: Schema, prefix = ''): LeafField[] {
  const shape = objectShape(root);
  if (!shape) return [];
  const out: LeafField[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (objectShape(child)) out.push(...leafFields(child, path));
    else out.push({ path, schema: child, ...fieldInfo(child) });
  }
  return out;
}
