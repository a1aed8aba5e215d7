import { z } from 'zod';
import { PositiveDecimalString } from '../../../events/primitives.js';

/**
 * A pair group: one instrument quoted on several venues at once (each
 * `pairs[]` entry that names the group is a member), with one total position
 * limit across them. Per-venue limits (`params.inventory`) still hold.
 */
export const PairGroupConfigSchema = z
  .object({
    /** Referenced by `pairs[].group`. */
    id: z.string().min(1).meta({ description: 'Group id, referenced by pairs[].group', unit: 'enum' }),
    /** The members together never add beyond this (base): each member's adding side is cut to what is left. */
    limit: PositiveDecimalString.meta({ description: 'Total signed position limit across the group members (abs)', unit: 'base' }),
  })
  .strict();

export const PairGroupsSchema = z.array(PairGroupConfigSchema).default([]).meta({ description: 'Pair groups: one total position limit across venues', unit: 'count' });

export type PairGroupConfig = z.output<typeof PairGroupConfigSchema>;

/** Every `pairs[].group` names a group in `groups`, and group ids are unique. Issues name the key and the value. */
export function checkGroupReferences(
  config: { readonly pairs: readonly { readonly group?: string | undefined }[]; readonly groups: readonly PairGroupConfig[] },
  ctx: z.RefinementCtx,
): void {
  const ids = new Set<string>();
  config.groups.forEach((g, i) => {
    if (ids.has(g.id)) ctx.addIssue({ code: 'custom', path: ['groups', i, 'id'], message: `duplicate group id "${g.id}"` });
    ids.add(g.id);
  });
  config.pairs.forEach((p, i) => {
    if (p.group !== undefined && !ids.has(p.group)) {
      ctx.addIssue({ code: 'custom', path: ['pairs', i, 'group'], message: `group "${p.group}" is not in "groups" (known: ${[...ids].join(', ') || 'none'})` });
    }
  });
}
