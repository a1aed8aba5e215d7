import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError, type KeyPath } from './config-errors.js';

/** A config file read and parsed, with a way back from a key path to its line. */
export interface ConfigSource {
  /** The file name as given, for messages. */
  readonly name: string;
  readonly raw: unknown;
  /** 1-based line of the key at `path` (of the item, for a list index); null if the file does not hold it. */
  readonly lineOf: (path: KeyPath) => number | null;
}

/**
 * Parses config text. `.json` files are read with JSON.parse (the format they
 * promise); everything else as YAML 1.2, which has duplicate keys as errors.
 * Both get line numbers from the YAML parser (JSON is YAML).
 */
export function parseConfigText(text: string, name: string): ConfigSource {
  const json = extname(name).toLowerCase() === '.json';
  let raw: unknown;
  if (json) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${name} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (!json) {
    if (doc.errors.length > 0) {
      throw new ConfigError(`config file ${name} is not valid YAML:\n${doc.errors.map((e) => `  - ${name}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`).join('\n')}`);
    }
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  }

  const lineAt = (node: { range?: [number, number, number] | null } | null | undefined): number | null =>
    node?.range ? lineCounter.linePos(node.range[0]).line : null;

  const lineOf = (path: KeyPath): number | null => {
    let node: unknown = doc.contents;
    let line: number | null = lineAt(node as Node);
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        if (!pair) return null;
        line = lineAt(pair.key as Node) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        if (node === undefined) return null;
        line = lineAt(node as Node) ?? line;
      } else {
        return null;
      }
    }
    return line;
  };
  return { name, raw, lineOf };
}

export async function readConfigFile(path: string): Promise<ConfigSource> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return parseConfigText(text, path);
}
