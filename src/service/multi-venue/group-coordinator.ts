import type { EngineConfig, ResolvedPair } from '../../config/engine-config.js';
import { resolvePair } from '../../config/engine-config.js';
import { knownMarket } from '../../config/known-markets.js';
import type { Logger } from '../../log/logger.js';
import type { PairProjection } from '../../../projections/pair-projection.js';
import { groupViewFor, memberExposure, sameView, type GroupView } from './pair-group.js';

/** What the coordinator needs of a member: its folded stream, and a way to tell it the group's total. */
export interface GroupMember {
  readonly state: PairProjection;
  groupChanged(view: GroupView, members: number): void;
}

interface Group {
  readonly id: string;
  readonly limit: string;
  readonly members: { readonly key: string; readonly member: GroupMember; last: GroupView | null }[];
}

/**
 * The wiring of pair groups in one process: after the pairs have handled an
 * input, `publish()` folds each group from its members' streams
 * (pair-group.ts) and sends each member whose view changed a GROUP_POSITION.
 * It reads the members' recorded state only, never writes their streams.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly config: EngineConfig,
    private readonly logger: Logger,
  ) {
    for (const g of config.groups) this.groups.set(g.id, { id: g.id, limit: g.limit, members: [] });
  }

  /** The group of a configured pair, if any. */
  groupOf(venue: string, symbol: string): string | undefined {
    return this.config.pairs.find((p) => p.venue === venue && p.symbol === symbol)?.group;
  }

  join(groupId: string, key: string, member: GroupMember): void {
    const group = this.groups.get(groupId);
    if (!group) throw new Error(`pair ${key} names group "${groupId}", which is not configured`);
    group.members.push({ key, member, last: null });
    this.logger.info({ group: groupId, member: key, members: group.members.length, limit: group.limit }, 'pair joined its group');
  }

  get active(): boolean {
    for (const g of this.groups.values()) if (g.members.length > 0) return true;
    return false;
  }

  /** Sends every member whose view of its group changed the new view. Returns how many were told. */
  publish(): number {
    let told = 0;
    for (const g of this.groups.values()) {
      if (g.members.length === 0) continue;
      const exposures = g.members.map((m) => memberExposure(m.member.state));
      g.members.forEach((m, i) => {
        const view = groupViewFor(exposures, i, g.limit);
        if (sameView(m.last, view)) return;
        m.last = view;
        m.member.groupChanged(view, g.members.length);
        told++;
      });
    }
    return told;
  }
}

/**
 * Market rules and parameters of a pair on a venue id that mirrors another
 * venue's data (`--venues binance,binance2`): a venue id with no rules of its
 * own (built in or in the config) takes the recording venue's rules; its
 * parameters and group are its own config entry's.
 */
export function resolveMirroredPair(config: EngineConfig, venueId: string, sourceVenue: string, symbol: string): ResolvedPair {
  if (venueId === sourceVenue || knownMarket(venueId, symbol)) return resolvePair(config, venueId, symbol);
  const known = knownMarket(sourceVenue, symbol);
  if (!known) return resolvePair(config, venueId, symbol);
  const { venue: _v, symbol: _s, ...rules } = known;
  const has = config.pairs.some((p) => p.venue === venueId && p.symbol === symbol);
  const pairs = has
    ? config.pairs.map((p) => (p.venue === venueId && p.symbol === symbol ? { ...p, market: { ...rules, ...p.market } } : p))
    : [...config.pairs, { venue: venueId, symbol, market: rules, params: config.defaults }];
  return resolvePair({ ...config, pairs }, venueId, symbol);
}
