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
  /** Its venue id, and the allocation rule's settings (params.allocation). */
  readonly venue?: string;
  readonly allocation?: { readonly enabled: boolean; readonly windowMs: number };
  /** Recent fill rate of every venue of the group (fills per minute), for the allocation rule. */
  pushVenueFillRates?(rates: Readonly<Record<string, number>>): void;
}

/** Fill counts of one member over time (data time), to measure its recent fill rate. */
interface FillSamples {
  readonly ts: number[];
  readonly fills: number[];
}

interface Group {
  readonly id: string;
  readonly limit: string;
  readonly members: { readonly key: string; readonly member: GroupMember; last: GroupView | null; samples: FillSamples; lastRates: string | null }[];
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
    /** Data time in backtests: the fill rates are counted on it. */
    private readonly now: () => number = () => 0,
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
    group.members.push({ key, member, last: null, samples: { ts: [], fills: [] }, lastRates: null });
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
      told += this.publishFillRates(g);
    }
    return told;
  }

  /**
   * Each venue's fills per minute over the allocation window, from the
   * members' recorded fill counts sampled at data time; sent to every member
   * whose allocation rule is on, when the rates changed.
   */
  private publishFillRates(g: Group): number {
    const wanting = g.members.filter((m) => m.member.allocation?.enabled && m.member.pushVenueFillRates);
    if (wanting.length === 0) return 0;
    const now = this.now();
    const windowMs = Math.max(...wanting.map((m) => m.member.allocation?.windowMs ?? 0));
    const rates: Record<string, number> = {};
    for (const m of g.members) {
      const fills = m.member.state.inventory.fills;
      const s = m.samples;
      if (s.ts.length === 0 || s.fills[s.fills.length - 1] !== fills || now - (s.ts[s.ts.length - 1] ?? 0) >= windowMs / 10) {
        s.ts.push(now);
        s.fills.push(fills);
      }
      // The oldest sample still inside the window is the baseline.
      while (s.ts.length > 1 && (s.ts[1] ?? now) <= now - windowMs) {
        s.ts.shift();
        s.fills.shift();
      }
      const base = s.fills[0] ?? fills;
      rates[m.member.venue ?? m.key] = ((fills - base) * 60_000) / windowMs;
    }
    const key = JSON.stringify(rates);
    let told = 0;
    for (const m of wanting) {
      if (m.lastRates === key) continue;
      m.lastRates = key;
      m.member.pushVenueFillRates?.(rates);
      told++;
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
