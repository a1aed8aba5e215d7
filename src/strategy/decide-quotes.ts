import type { StrategyParams } from '../config/strategy-params.js';
import type { MarketSpec } from '../venues/venue.js';
import { deviationFromTarget, headroom, inventoryAgeBreach, type QuoteSide, rebalanceSignal, reduceOnlySide } from './inventory-rules.js';
import { priceSkewBps, sizeSkewFactors } from './inventory-skew.js';
import { buildLadder } from './ladder.js';
import { levelZeroBase, sideSizing } from './ladder-sizing.js';
import { decideLiquidation } from './liquidation.js';
import { pressureShiftBps } from './market-pressure.js';
import { avellanedaStoikov, glft, timeToHorizonSeconds } from './optimal-quoting.js';
import type { QuoteDecision, QuoteInputs, RuleFiring } from './quote-types.js';
import { selectReference } from './reference-price.js';
import { adverseSelectionWidening, feeAdjustedSpread, regimeSettings } from './spread-rules.js';
import { requirePositive } from './strategy-error.js';
import { allocationShares } from './venue-allocation.js';
import { spreadMultiplier } from './volatility.js';

/** Short, stable number text for the reason line (the exact numbers are in `rules`). */
const fmt = (x: number): string => String(Number(x.toFixed(4)) + 0);

interface PricedShape {
  /** Full spread before the adverse, fee and minimum rules, bps. */
  readonly spreadBps: number;
  /** Signed shift of the centre from the reference, bps. */
  readonly skewBps: number;
  /** The reason-line description of the spread. */
  readonly label: string;
  /** Firings recorded after the spread rules (the inventory price skew, where it always was). */
  readonly skewFirings: readonly RuleFiring[];
}

/**
 * The quote decision of one pair: a pure function of the recorded inputs, the
 * parameters and the instrument, so an auditor can recompute it exactly.
 * Reference price, then spread and centre from the pricing model (the
 * volatility/skew ladder, Avellaneda–Stoikov or GLFT), then the spread rules
 * (adverse selection, fees, minimum), market pressure, the inventory rules
 * (sides, rebalance, headroom), and the ladder. Every rule that changes
 * anything leaves a RuleFiring with its numbers. Rules that are off leave no
 * trace, so the plain ladder decides exactly as it always did.
 * Reduce-only (liquidating) decisions go to decideLiquidation.
 */
export function decideQuotes(inputs: QuoteInputs, params: StrategyParams, market: MarketSpec): QuoteDecision {
  if (inputs.reduceOnly) return decideLiquidation(inputs, params, market);
  requirePositive('mid', inputs.mid);
  const signals = inputs.signals ?? {};
  const rules: RuleFiring[] = [];
  const inv = params.inventory;

  const ref = selectReference(inputs, params.reference);
  if (ref.firing) rules.push(ref.firing);
  const reference = requirePositive('reference price', ref.price);
  const deviation = deviationFromTarget(inputs.position, inv.target);

  const age = inv.age.enabled ? inventoryAgeBreach(signals.inventoryAgeMs, deviation, inv) : null;
  if (age) rules.push(age.firing);
  const ageSkew = age?.action === 'skew' ? inv.age.skewMultiplier : 1;

  const shape = params.optimal.model === 'ladder' ? ladderShape(inputs, params, deviation, ageSkew, rules) : optimalShape(inputs, params, reference, deviation, ageSkew, signals, rules);

  let spreadBps = shape.spreadBps;
  if (params.adverseSelection.enabled) {
    const w = adverseSelectionWidening(spreadBps, signals.fillsPerMinute, params.adverseSelection);
    if (w) {
      rules.push(w.firing);
      spreadBps = w.spreadBps;
    }
  }
  if (params.fees.enabled) {
    const f = feeAdjustedSpread(spreadBps, market.makerFee, params.fees);
    rules.push(f.firing);
    spreadBps = f.spreadBps;
  }
  const floored = Math.max(spreadBps, params.minSpreadBps);
  if (floored !== spreadBps) rules.push({ rule: 'min-spread', detail: { spreadBps, minSpreadBps: params.minSpreadBps } });
  spreadBps = floored;
  const halfSpreadBps = spreadBps / 2;
  rules.push(...shape.skewFirings);

  let skewBps = shape.skewBps;
  if (params.pressure.enabled) {
    const p = pressureShiftBps(signals.bookImbalance, signals.tradeFlowImbalance, params.pressure);
    if (p.firing) rules.push(p.firing);
    skewBps = skewBps + p.shiftBps;
  }

  let sizeFactors = sizeSkewFactors(deviation, inv);
  if (sizeFactors.bid !== 1 || sizeFactors.ask !== 1) {
    rules.push({
      rule: 'inventory-size-skew',
      detail: { position: inputs.position, ...(deviation !== inputs.position ? { target: inv.target } : {}), maxPosition: inv.maxPosition, sizeSkew: inv.sizeSkew, bidFactor: sizeFactors.bid, askFactor: sizeFactors.ask },
    });
  }

  let sides: Record<QuoteSide, boolean> | undefined;
  const only = (side: QuoteSide) => {
    sides = { bid: side === 'bid' && (sides?.bid ?? true), ask: side === 'ask' && (sides?.ask ?? true) };
  };
  if (inv.reduceOnlyEnabled) {
    const r = reduceOnlySide(inputs.position, inv);
    if (r) {
      rules.push(r.firing);
      only(r.side);
    }
  }
  if (age?.action === 'reduce-only') only(age.reducing);

  let sideAdjustBps: Partial<Record<QuoteSide, number>> | undefined;
  if (inv.rebalance.enabled) {
    const r = rebalanceSignal(deviation, inv);
    if (r) {
      rules.push(r.firing);
      if (r.tightenBps > 0) sideAdjustBps = { [r.reducing]: -r.tightenBps };
    }
  }

  const sized = sideSizing(reference, params.ladder, signals);
  rules.push(...sized.firings);

  if (params.allocation.enabled && signals.venueFillRates) {
    const shares = allocationShares(signals.venueFillRates, params.allocation.minShare);
    // This venue quotes its share of the pair's size; a venue not in the rates keeps its full size.
    const share = shares[market.venue];
    rules.push({
      rule: 'venue-allocation',
      detail: { venue: market.venue, minShare: params.allocation.minShare, applied: share ?? 1, ...Object.fromEntries(Object.entries(shares).map(([v, s]) => [`share.${v}`, s])) },
    });
    if (share !== undefined) sizeFactors = { bid: sizeFactors.bid * share, ask: sizeFactors.ask * share };
  }

  const ladder = buildLadder({
    reference,
    halfSpreadBps,
    skewBps,
    levels: params.ladder.levels,
    levelSpacingBps: params.ladder.levelSpacingBps,
    sizing: sized.sizing,
    sizeFactors,
    market,
    bestBid: inputs.bestBid,
    bestAsk: inputs.bestAsk,
    ...(sides ? { sides } : {}),
    ...(sideAdjustBps ? { sideAdjustBps } : {}),
    ...(inv.capToHeadroom ? { maxSideAmount: headroom(inputs.position, inv) } : {}),
  });
  rules.push(...ladder.rules);

  const ladderRules = [...new Set(ladder.rules.map((r) => r.rule))];
  const desc = `spread ${fmt(spreadBps)} bps (${shape.label}), skew ${fmt(skewBps)} bps`;
  const reason =
    ladder.bids.length === 0 && ladder.asks.length === 0
      ? `no quotes: every level dropped (${ladderRules.join(', ')}); ${desc}`
      : `quoting ${ladder.bids.length} bids, ${ladder.asks.length} asks; ${desc}${ladderRules.length > 0 ? `; ${ladderRules.join(', ')}` : ''}`;

  return { bids: ladder.bids, asks: ladder.asks, rules, reason };
}

/** The plain ladder: base spread widened by volatility (and its regime), centre skewed by inventory. */
function ladderShape(inputs: QuoteInputs, params: StrategyParams, deviation: string, ageSkew: number, rules: RuleFiring[]): PricedShape {
  const vol = params.volatility;
  const multiplier = spreadMultiplier(inputs.volatilityBps, vol);
  if (multiplier !== 1) {
    rules.push({
      rule: 'volatility-multiplier',
      detail: { volatilityBps: inputs.volatilityBps, k: vol.k, multiplier, maxMultiplier: vol.maxMultiplier, capped: 1 + vol.k * inputs.volatilityBps > vol.maxMultiplier },
    });
  }
  let widened = params.baseSpreadBps * multiplier;
  let label = `vol x${fmt(multiplier)}`;
  if (vol.regimes.enabled) {
    const r = regimeSettings(inputs.volatilityBps, params.baseSpreadBps, vol.regimes);
    rules.push(r.firing);
    widened = r.baseSpreadBps * multiplier * r.multiplier;
    label = `${label}, ${r.regime} regime x${fmt(r.multiplier)}`;
  }

  const inv = params.inventory;
  const skewParams = ageSkew === 1 ? inv : { ...inv, priceSkewBps: inv.priceSkewBps * ageSkew, maxPriceSkewBps: inv.maxPriceSkewBps * ageSkew };
  const skewBps = priceSkewBps(deviation, skewParams);
  const skewFirings: RuleFiring[] = [];
  if (skewBps !== 0) {
    skewFirings.push({
      rule: 'inventory-price-skew',
      detail: {
        position: inputs.position,
        ...(deviation !== inputs.position ? { target: inv.target } : {}),
        maxPosition: inv.maxPosition,
        priceSkewBps: skewParams.priceSkewBps,
        skewBps,
        capped: Math.abs(skewBps) === skewParams.maxPriceSkewBps,
      },
    });
  }
  return { spreadBps: widened, skewBps, label, skewFirings };
}

/** Avellaneda–Stoikov or GLFT: spread and centre from sigma, the arrival intensity and the inventory. */
function optimalShape(
  inputs: QuoteInputs,
  params: StrategyParams,
  reference: number,
  deviation: string,
  ageSkew: number,
  signals: NonNullable<QuoteInputs['signals']>,
  rules: RuleFiring[],
): PricedShape {
  const o = params.optimal;
  const unit = levelZeroBase(reference, params.ladder);
  const q = (Number(deviation) / unit) * ageSkew;
  const sigmaFrom =
    o.sigmaSource === 'realised' ? 'realised' : o.sigmaSource === 'ewma' && signals.sigmaBps !== undefined ? 'ewma' : 'fixed';
  const sigma =
    sigmaFrom === 'realised' ? inputs.volatilityBps / Math.sqrt(params.volatility.sampleIntervalMs / 1000) : sigmaFrom === 'ewma' ? (signals.sigmaBps as number) : o.sigmaBps;
  const estimated = o.intensitySource === 'estimated' && signals.intensityA !== undefined && signals.intensityK !== undefined;
  const A = estimated ? (signals.intensityA as number) : o.intensityA;
  const k = estimated ? (signals.intensityK as number) : o.intensityK;
  const common = { q, inventoryUnitBase: unit, gamma: o.gamma, sigmaBps: sigma, sigmaFrom, k, intensityFrom: estimated ? 'estimated' : 'fixed' };

  let spreadBps: number;
  let shift: number;
  if (o.model === 'avellaneda-stoikov') {
    const tau = timeToHorizonSeconds(inputs.ts, o.horizon, o.horizonMs);
    const r = avellanedaStoikov({ q, gamma: o.gamma, sigma, tau, k });
    spreadBps = r.spreadBps;
    shift = r.reservationShiftBps;
    rules.push({ rule: 'avellaneda-stoikov', detail: { ...common, horizon: o.horizon, tauSeconds: tau, reservationShiftBps: shift, spreadBps } });
  } else {
    const g = glft({ q, gamma: o.gamma, sigma, A, k });
    spreadBps = g.spreadBps;
    shift = g.reservationShiftBps;
    rules.push({ rule: 'glft', detail: { ...common, A, c1: g.c1, c2: g.c2, bidDistanceBps: g.bidDistanceBps, askDistanceBps: g.askDistanceBps, reservationShiftBps: shift, spreadBps } });
  }
  const skewBps = Math.min(o.maxShiftBps, Math.max(-o.maxShiftBps, shift)) + 0;
  if (skewBps !== shift) rules.push({ rule: 'reservation-shift-cap', detail: { shiftBps: shift, maxShiftBps: o.maxShiftBps } });
  return { spreadBps, skewBps, label: o.model, skewFirings: [] };
}
