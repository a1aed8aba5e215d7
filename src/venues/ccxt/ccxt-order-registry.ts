/**
 * What the adapter knows about each order it placed or saw: client id <->
 * venue id, size, what was filled, and whether a placement is still in flight.
 *
 * - An order is in flight from the moment its placement starts until the
 *   venue acknowledges or refuses it; a second placement of the same client
 *   order id meanwhile joins the first instead of sending again.
 * - Binance's trade history (`myTrades`) carries only the venue order id, so
 *   fills are mapped back to our client order id through this registry.
 * - Finished orders are forgotten oldest first beyond `capacity`; a late fill
 *   for a forgotten order is resolved from the venue again.
 */
import { D, type Decimal } from '../../core/decimal.js';
import type { Side } from '../../core/types.js';
import type { OrderResult } from '../venue.js';

export type TrackedState = 'in-flight' | 'open' | 'closed' | 'rejected' | 'uncertain';

export interface TrackedOrder {
  readonly clientOrderId: string;
  /** Venue symbol. */
  readonly symbol: string;
  venueOrderId: string | undefined;
  side: Side | undefined;
  amount: Decimal | undefined;
  /** Filled amount we have reported as fills (drives `Fill.remaining`). */
  filled: Decimal;
  /** Trade ids counted in `filled`: a trade reported twice (feed and reconciliation) is counted once. */
  readonly fillIds: Set<string>;
  state: TrackedState;
}

export interface OrderFacts {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly venueOrderId?: string | undefined;
  readonly side?: Side | undefined;
  readonly amount?: Decimal | undefined;
  readonly state: TrackedState;
}

const FINISHED: ReadonlySet<TrackedState> = new Set(['closed', 'rejected']);

export class OrderRegistry {
  private readonly byClient = new Map<string, TrackedOrder>();
  private readonly byVenue = new Map<string, TrackedOrder>();
  private readonly placements = new Map<string, Promise<OrderResult>>();

  constructor(private readonly capacity = 10_000) {}

  get(clientOrderId: string): TrackedOrder | undefined {
    return this.byClient.get(clientOrderId);
  }

  getByVenueId(venueOrderId: string): TrackedOrder | undefined {
    return this.byVenue.get(venueOrderId);
  }

  /** Records or updates an order; the filled amount is kept. */
  upsert(facts: OrderFacts): TrackedOrder {
    let t = this.byClient.get(facts.clientOrderId);
    if (!t) {
      t = { clientOrderId: facts.clientOrderId, symbol: facts.symbol, venueOrderId: undefined, side: undefined, amount: undefined, filled: D(0), fillIds: new Set(), state: facts.state };
      this.byClient.set(facts.clientOrderId, t);
    }
    if (facts.venueOrderId !== undefined) {
      t.venueOrderId = facts.venueOrderId;
      this.byVenue.set(facts.venueOrderId, t);
    }
    if (facts.side !== undefined) t.side = facts.side;
    if (facts.amount !== undefined) t.amount = facts.amount;
    t.state = facts.state;
    if (FINISHED.has(t.state)) this.prune();
    return t;
  }

  setState(clientOrderId: string, state: TrackedState): void {
    const t = this.byClient.get(clientOrderId);
    if (!t) return;
    t.state = state;
    if (FINISHED.has(state)) this.prune();
  }

  /**
   * Adds a fill to its order (once per trade id); the amount still open
   * afterwards, when the order size is known.
   */
  applyFill(t: TrackedOrder, amount: Decimal, tradeId: string): Decimal | undefined {
    if (!t.fillIds.has(tradeId)) {
      t.fillIds.add(tradeId);
      t.filled = t.filled.plus(amount);
    }
    if (!t.amount) return undefined;
    const remaining = t.amount.minus(t.filled);
    if (remaining.lte(0)) {
      t.state = 'closed';
      this.prune();
      return D(0);
    }
    return remaining;
  }

  /**
   * What the venue says the order has filled, with the trade ids that make it
   * up as far as we know them (reconciliation): later fills of the order then
   * report the right `remaining`, and these trades are never counted again.
   */
  seedFilled(t: TrackedOrder, venueFilled: Decimal, tradeIds: readonly string[]): void {
    for (const id of tradeIds) t.fillIds.add(id);
    if (venueFilled.gt(t.filled)) t.filled = venueFilled;
  }

  /** The running placement of this client order id, if any. */
  placement(clientOrderId: string): Promise<OrderResult> | undefined {
    return this.placements.get(clientOrderId);
  }

  /** Runs `send` as the one placement of this client order id; callers meanwhile get the same promise. */
  trackPlacement(clientOrderId: string, send: () => Promise<OrderResult>): Promise<OrderResult> {
    const running = this.placements.get(clientOrderId);
    if (running) return running;
    const p = send().finally(() => this.placements.delete(clientOrderId));
    this.placements.set(clientOrderId, p);
    return p;
  }

  /** Client order ids whose placement has not been answered yet. */
  inFlight(): string[] {
    return [...this.placements.keys()];
  }

  openOn(symbol: string): TrackedOrder[] {
    return [...this.byClient.values()].filter((t) => t.symbol === symbol && (t.state === 'open' || t.state === 'in-flight' || t.state === 'uncertain'));
  }

  private prune(): void {
    if (this.byClient.size <= this.capacity) return;
    for (const [id, t] of this.byClient) {
      if (this.byClient.size <= this.capacity) break;
      if (!FINISHED.has(t.state)) continue;
      this.byClient.delete(id);
      if (t.venueOrderId !== undefined) this.byVenue.delete(t.venueOrderId);
    }
  }
}
