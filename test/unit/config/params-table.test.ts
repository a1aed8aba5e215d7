import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { NonNegativeDecimalString, PositiveDecimalString } from '../../../events/primitives.js';
import { DECIMAL_STRING_PATTERN } from '../../../src/core/decimal.js';
import { between, defaultsYaml, MISSING, paramsTable, tableInReadme, undocumentedParams, withTable, YAML_END, YAML_START } from '../../../src/config/params-table.js';
import { StrategyParamsSchema } from '../../../src/config/strategy-params.js';

/** A small schema with every shape the generator must read: meta on the outer or inner wrapper, describe(), enums, prefault groups, pipes. */
const Fixture = z
  .object({
    spreadBps: z.number().positive().max(100).default(5).meta({ description: 'Quoted spread.', unit: 'bps' }),
    // meta before default: on the inner schema.
    mode: z.enum(['fast', 'slow']).meta({ description: 'How to go | which way.', unit: 'enum' }).default('fast'),
    group: z
      .object({
        size: PositiveDecimalString.default('1.5').meta({ description: 'Size per order.', unit: 'base' }),
        count: z.number().int().min(1).max(9).describe('How many.'),
        flag: z.boolean().default(false).meta({ unit: 'bool' }),
        ratio: z.string().pipe(z.coerce.number()).optional().meta({ description: 'A piped value.', unit: 'x' }),
        // meta straight on a shared schema (a clone), and a decimal string built by hand.
        cap: NonNegativeDecimalString.meta({ description: 'A cap.', unit: 'quote' }),
        floor: z.string().regex(DECIMAL_STRING_PATTERN).default('0').meta({ description: 'A floor.', unit: 'quote' }),
      })
      .strict()
      .prefault({ count: 3, cap: '1' }),
  })
  .strict();

describe('parameter table generator', () => {
  it('prints name, default, unit, allowed range and effect for every leaf, "—" where meta is missing', () => {
    expect(paramsTable(Fixture)).toBe(
      [
        '| parameter | default | unit | allowed | effect |',
        '| --- | --- | --- | --- | --- |',
        '| `spreadBps` | `5` | bps | > 0 and <= 100 | Quoted spread. |',
        '| `mode` | `"fast"` | enum | one of: fast, slow | How to go \\| which way. |',
        '| `group.size` | `"1.5"` | base | a decimal string > 0 | Size per order. |',
        `| \`group.count\` | \`3\` | ${MISSING} | an integer >= 1 and <= 9 | How many. |`,
        `| \`group.flag\` | \`false\` | bool | true or false | ${MISSING} |`,
        `| \`group.ratio\` | ${MISSING} | x | a string | A piped value. |`,
        '| `group.cap` | `"1"` | quote | a decimal string >= 0 | A cap. |',
        '| `group.floor` | `"0"` | quote | a decimal string | A floor. |',
      ].join('\n'),
    );
  });

  it('lists the leaves lacking a description or a unit', () => {
    expect(undocumentedParams(Fixture)).toEqual(['group.count: no unit', 'group.flag: no description']);
  });

  it('writes the defaults as YAML with a comment per parameter; what has no default is commented out', () => {
    expect(defaultsYaml(Fixture)).toBe(
      [
        '  # Quoted spread. (bps; > 0 and <= 100)',
        '  spreadBps: 5',
        '  # How to go | which way. (enum; one of: fast, slow)',
        '  mode: "fast"',
        '  group:',
        '    # Size per order. (base; a decimal string > 0)',
        '    size: "1.5"',
        `    # How many. (${MISSING}; an integer >= 1 and <= 9)`,
        '    count: 3',
        `    # ${MISSING} (bool; true or false)`,
        '    flag: false',
        '    # A piped value. (x; a string)',
        '    # ratio: (unset)',
        '    # A cap. (quote; a decimal string >= 0)',
        '    cap: "1"',
        '    # A floor. (quote; a decimal string)',
        '    floor: "0"',
      ].join('\n'),
    );
  });

  it('replaces only the text between the markers', () => {
    const readme = 'intro\n<!-- params:start -->\nold\n<!-- params:end -->\noutro\n';
    const next = withTable(readme, '| t |');
    expect(next).toBe('intro\n<!-- params:start -->\n| t |\n<!-- params:end -->\noutro\n');
    expect(tableInReadme(next)).toBe('| t |');
    expect(() => withTable('no markers', 'x')).toThrow(/markers/);
  });
});

describe('README parameter table', () => {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');

  it('is the table generated from StrategyParamsSchema (run `npm run docs:params` after changing a parameter)', () => {
    expect(tableInReadme(readme)).toBe(paramsTable(StrategyParamsSchema));
  });

  it('config/example.yaml lists every parameter at its default (the same generator)', () => {
    const example = readFileSync(join(process.cwd(), 'config/example.yaml'), 'utf8');
    expect(between(example, YAML_START, YAML_END)).toBe(defaultsYaml(StrategyParamsSchema));
  });

  it('every strategy parameter has .meta({ description, unit })', () => {
    // Fails with the list of parameters to document.
    expect(undocumentedParams(StrategyParamsSchema)).toEqual([]);
  });
});
