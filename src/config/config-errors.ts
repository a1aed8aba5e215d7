import { safeParse, type z } from 'zod';
import { describeAllowed, enumValues, fieldInfo, isNamedString, objectShape, schemaAtPath } from './schema-walk.js';

/** One problem in a config: where it is, what was given, and what is allowed. */
export interface ConfigIssue {
  /** Key path as the user writes it: `pairs[0].params.baseSpreadBps`. */
  readonly path: string;
  /** The value given at that path (undefined for a missing key). */
  readonly value: unknown;
  /** What the key accepts, in words (`> 0 and <= 10000`), when the schema says. */
  readonly allowed: string | null;
  /** The whole explanation, path included. */
  readonly message: string;
  /** 1-based line in the file, when the source is a file the loader could map. */
  readonly line: number | null;
}

/** A bad config or parameter patch. `issues` holds every problem found, each with key, value and allowed range. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: readonly ConfigIssue[] = [],
  ) {
    super(message);
  }
}

export type KeyPath = readonly PropertyKey[];

/** `pairs[0].params.baseSpreadBps` */
export const formatPath = (path: KeyPath): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(root)';

export function valueAt(root: unknown, path: KeyPath): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

/** Levenshtein distance; names are short, so the quadratic table is fine. */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length] ?? 0;
}

/** The closest candidate, if it is close enough to be a likely typo. */
export function didYouMean(given: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(given, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(given.length / 3));
  if (best !== null && bestD <= limit) return best;
  // An abbreviation: "avellaneda" for "avellaneda-stoikov".
  const g = given.toLowerCase();
  const partial = g.length >= 3 ? candidates.filter((c) => c.toLowerCase().startsWith(g) || c.toLowerCase().includes(g)) : [];
  return partial.length === 1 ? (partial[0] as string) : null;
}

/**
 * zod issues as ConfigIssues: each names the key path, the value given and
 * what the key allows (read from the schema), with "did you mean" for
 * unknown keys and enum values. `lineOf` maps a key path to its line.
 */
export function toConfigIssues(
  error: z.ZodError,
  schema: z.core.$ZodType,
  input: unknown,
  lineOf: (path: KeyPath) => number | null = () => null,
  prefix: KeyPath = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  // A cross-field rule that compares an invalid value is noise: report the invalid value alone.
  const parentOf = (path: readonly PropertyKey[]): string => JSON.stringify(path.slice(0, -1));
  // A custom issue on a value that its own schema accepts comes from a rule across keys (minSpreadBps <= baseSpreadBps).
  const isCrossField = (issue: z.core.$ZodIssue): boolean => {
    if (issue.code !== 'custom') return false;
    const leaf = schemaAtPath(schema, issue.path as KeyPath);
    return !leaf || safeParse(leaf, valueAt(input, issue.path as KeyPath)).success;
  };
  const invalidParents = new Set(error.issues.filter((i) => !isCrossField(i) && i.code !== 'unrecognized_keys').map((i) => parentOf(i.path)));
  for (const issue of error.issues) {
    const path = issue.path as KeyPath;
    if (isCrossField(issue) && invalidParents.has(parentOf(path))) continue;
    const full = [...prefix, ...path];
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(objectShape(schemaAtPath(schema, path) ?? schema) ?? {});
      for (const key of issue.keys) {
        const keyPath = [...full, key];
        const guess = didYouMean(key, known);
        const hint = guess ? `; did you mean "${guess}"?` : known.length ? ` (known keys: ${known.join(', ')})` : '';
        out.push({
          path: formatPath(keyPath),
          value: valueAt(input, [...path, key]),
          allowed: null,
          message: `${formatPath(keyPath)}: unknown key${hint}`,
          line: lineOf(keyPath),
        });
      }
      continue;
    }
    const given = valueAt(input, path);
    const leaf = schemaAtPath(schema, path);
    const allowed = leaf ? describeAllowed(leaf) : null;
    const where = formatPath(full);
    // A key left out takes its default: a cross-field rule may still object to it.
    const fallback = given === undefined && leaf ? fieldInfo(leaf).ownDefault : null;
    const value = fallback ? fallback.value : given;
    const shown = fallback ? `${show(value)} (the default)` : show(value);
    let message: string;
    switch (issue.code) {
      case 'too_small':
      case 'too_big':
        message = `${where}: ${show(value)} is out of range (must be ${allowed ?? issue.message})`;
        break;
      case 'invalid_type':
        message = value === undefined ? `${where} is required (${allowed ?? issue.expected})` : `${where}: ${show(value)} has the wrong type (must be ${allowed ?? issue.expected})`;
        // Sizes and prices are decimal strings so that no binary float touches them: say how to write one.
        if (typeof value === 'number' && leaf && isNamedString(leaf)) message = message.replace(/\)$/, `; quote it: "${String(value)}")`);
        break;
      case 'invalid_value': {
        const guess = typeof value === 'string' && leaf ? didYouMean(value, enumValues(leaf)) : null;
        message = `${where}: ${show(value)} is not allowed (must be ${allowed ?? issue.message})${guess ? `; did you mean "${guess}"?` : ''}`;
        break;
      }
      case 'invalid_format':
        message = `${where}: ${show(value)} is not valid (must be ${allowed ?? issue.message})`;
        break;
      case 'custom':
        // A refine says what the value must be, or which other key it must agree with.
        if (isCrossField(issue) || !leaf) {
          // Some rules already name the values they compare ("minSpreadBps 8 must not exceed baseSpreadBps 5").
          message = issue.message.includes(String(value)) ? `${where}: ${issue.message}` : `${where}: ${shown} ${issue.message}`;
        } else {
          message = `${where}: ${shown} is not valid (must be ${allowed})`;
        }
        break;
      default:
        message = `${where}: ${show(value)}: ${issue.message}${allowed ? ` (must be ${allowed})` : ''}`;
    }
    out.push({ path: where, value, allowed, message, line: lineOf(full) });
  }
  return out;
}

/** One message for every issue: the source named once, each issue on its own line with its line number. */
export function configErrorOf(source: string, issues: readonly ConfigIssue[]): ConfigError {
  const lines = issues.map((i) => `  - ${i.line !== null ? `${source}:${i.line}: ` : ''}${i.message}`);
  return new ConfigError(`invalid config in ${source}:\n${lines.join('\n')}`, issues);
}
