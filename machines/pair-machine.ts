import { and, assign, enqueueActions, raise, setup } from 'xstate';
import type { DomainEvent } from '../events/catalog.js';
import { toDecimalString } from '../src/core/decimal.js';
import { decideMemberQuotes } from '../src/service/multi-venue/group-limit.js';
import { ladderKey, toQuoteInputsData, toQuoteOutputData } from '../src/strategy/decision-record.js';
import { emptyShockWindow, pushShockSample } from '../src/strategy/shock.js';
import { foldBook, foldExternalMid, foldPosition, foldTrade, foldVenueFillRates, initialQuoteSignals, quoteSignalsAt, signalsWanted } from '../src/strategy/signals/quote-signals.js';
import { emptyVolatility, realisedVolatilityBps, sampleMid } from '../src/strategy/volatility.js';
import {
  acknowledgeOperatorResume,
  holdFor,
  holdReason,
  initialPairRisk,
  noteToxicWhilePaused,
  rearmToxicHold,
  riskOnFill,
  riskOnMid,
  riskOnTrade,
  toxicHold,
} from '../src/risk/pair-risk.js';
import { rollUtcDay } from '../src/risk/running-pnl.js';
import {
  backInResumeBand,
  beyondHardLimit,
  canAutoResume,
  exactMid,
  feedAgeMs,
  feedBlocker,
  feedIsStale,
  liquidationExcess,
  midOf,
  quoteDue,
  rearmsLeft,
  requoteHeld,
  riskHoldCleared,
  riskHoldTimed,
  riskLimitBreach,
  toxicAlarm,
  shockDetected,
  shockMeasure,
  targetPosition,
  withinMaxPosition,
} from './pair-guards.js';
import {
  AUTO_RESUMABLE,
  type DomainEmitted,
  type PairContext,
  type PairMachineEvent,
  type PairMachineInput,
  type PauseReason,
} from './pair-machine.types.js';

type PairState = 'starting' | 'quoting' | 'paused' | 'shock-cooldown' | 'liquidating' | 'stopped';

const dec = (n: number): string => toDecimalString(n);
const domain = (event: DomainEvent): DomainEmitted => ({ type: 'domain', event });

function pausedEvent(from: PairState, reason: PauseReason, detail: string, numbers: Record<string, string | number>): DomainEmitted {
  return domain({ type: 'Paused', data: { from, to: 'paused', reason, detail, numbers } });
}

function feedPauseDetail(ctx: PairContext): { reason: PauseReason; detail: string; numbers: Record<string, string | number> } {
  if (ctx.feedProblem) {
    return { reason: 'feed-problem', detail: `${ctx.feedProblem.problem}: ${ctx.feedProblem.detail}`, numbers: { since: ctx.feedProblem.since } };
  }
  return {
    reason: 'feed-stale',
    detail: 'no market data within maxAgeMs',
    numbers: { ageMs: feedAgeMs(ctx), maxAgeMs: ctx.params.feed.maxAgeMs },
  };
}

/** Context reset for a state in which no quotes are live (all orders get cancelled). */
const noQuotesLive = { lastQuoteKey: null, quoteDirty: true } as const;

/** Entering a quoting state: nothing is live yet, and no pause holds. */
const quotingAfresh = { ...noQuotesLive, pause: null } as const;

/**
 * The pair actor. It decides; it never does I/O. Every transition emits the
 * domain event that records it, with its reason and numbers; the runtime
 * appends those events and derives the order actions from them.
 */
export const pairMachine = setup({
  types: {
    context: {} as PairContext,
    events: {} as PairMachineEvent,
    input: {} as PairMachineInput,
    emitted: {} as DomainEmitted,
  },
  guards: {
    feedBlocked: ({ context }) => feedBlocker(context) !== null,
    feedStale: ({ context }) => feedIsStale(context),
    shockDetected: ({ context }) => shockDetected(context),
    beyondHardLimit: ({ context }) => beyondHardLimit(context),
    withinMaxPosition: ({ context }) => withinMaxPosition(context),
    quoteDue: ({ context }) => quoteDue(context),
    backInResumeBand: ({ context }) => backInResumeBand(context),
    rearmsLeft: ({ context }) => rearmsLeft(context),
    // A venue that is down blocks every resume, whatever the pause reason.
    canAutoResume: ({ context }) => canAutoResume(context, AUTO_RESUMABLE) && context.venueDown === null,
    venueBlocked: ({ context }) => context.venueDown !== null,
    // Risk limits and toxicity (src/risk/pair-risk.ts).
    riskLimitBreached: ({ context }) => riskLimitBreach(context) !== null,
    toxicAlarm: ({ context }) => toxicAlarm(context) !== null,
    toxicHoldExtends: ({ context }) => toxicAlarm(context) !== null && context.risk.hold?.kind === 'toxicity',
    toxicDuringCalm: ({ context }) => context.risk.hold?.kind === 'toxicity' && context.risk.toxicWhilePaused !== null,
    requoteHeld: ({ context }) => requoteHeld(context),
    riskHoldCleared: ({ context }) => riskHoldCleared(context),
    riskHoldTimed: ({ context }) => riskHoldTimed(context),
    // Restart recovery (see restoreShock / restorePause below).
    restoreShock: ({ context }) => context.restore?.state === 'shock-cooldown',
    restorePause: ({ context }) => context.restore?.state === 'paused',
    noMarketData: ({ context }) => midOf(context) === null,
  },
  delays: {
    cooldownRemaining: ({ context }) => Math.max(0, (context.shock?.cooldownUntil ?? context.now) - context.now),
    // From the deadline recorded in the Paused event (0 when the pause has none: the timer's guard then declines).
    riskHoldRemaining: ({ context }) => Math.max(0, (context.risk.hold?.until ?? context.now) - context.now),
  },
  actions: {
    recordBook: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'BOOK') return;
      const mid = exactMid(event.bestBid, event.bestAsk);
      if (context.feedStaleSince !== null) {
        enqueue.emit(domain({ type: 'FeedRecovered', data: { problem: 'stale', detail: 'market data flows again', downForMs: event.ts - context.feedStaleSince } }));
      }
      enqueue.assign({
        now: Math.max(context.now, event.ts),
        bestBid: event.bestBid,
        bestAsk: event.bestAsk,
        mid,
        lastDataTs: event.ts,
        feedStaleSince: null,
        volatility: sampleMid(context.volatility, event.ts, mid, context.params.volatility),
        shockWindow: pushShockSample(context.shockWindow, event.ts, mid, context.params.shock.windowMs),
      });
    }),
    recordTrade: assign(({ context, event }) => (event.type === 'TRADE' ? { now: Math.max(context.now, event.ts), lastDataTs: event.ts } : {})),
    recordFeedProblem: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'FEED_PROBLEM') return;
      enqueue.emit(domain({ type: 'FeedProblemDetected', data: { problem: event.problem, detail: event.detail } }));
      enqueue.assign({ now: Math.max(context.now, event.ts), feedProblem: { problem: event.problem, detail: event.detail, since: event.ts } });
    }),
    recordFeedRecovered: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'FEED_RECOVERED' || !context.feedProblem) return;
      enqueue.emit(
        domain({ type: 'FeedRecovered', data: { problem: context.feedProblem.problem, detail: event.detail, downForMs: event.ts - context.feedProblem.since } }),
      );
      enqueue.assign({ now: Math.max(context.now, event.ts), feedProblem: null, lastDataTs: event.ts });
    }),
    recordNow: assign(({ context, event }) => ('ts' in event ? { now: Math.max(context.now, event.ts) } : {})),
    recordVenueDown: assign(({ context, event }) =>
      event.type === 'VENUE_DOWN' ? { now: Math.max(context.now, event.ts), venueDown: context.venueDown ?? { since: event.ts, detail: event.detail } } : {},
    ),
    recordVenueUp: assign(({ context, event }) => (event.type === 'VENUE_UP' ? { now: Math.max(context.now, event.ts), venueDown: null } : {})),
    recordGroup: assign(({ context, event }) =>
      event.type === 'GROUP_POSITION' ? { now: Math.max(context.now, event.ts), group: event.group, quoteDirty: true } : {},
    ),
    recordPosition: assign(({ context, event }) =>
      event.type === 'POSITION' ? { now: Math.max(context.now, event.ts), position: event.position, quoteDirty: true } : {},
    ),
    // Quoting-rule signals: folded by the pure functions of src/strategy/signals, kept apart from the other context fields.
    // Book and trade folds run only while a rule reads them: the plain ladder pays nothing per market event.
    foldBookSignals: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'BOOK' || context.mid === null || !signalsWanted(context.params)) return;
      enqueue.assign({ quoteSignals: foldBook(context.quoteSignals, event.ts, context.mid, event.depth, context.params) });
    }),
    foldTradeSignals: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'TRADE' || !signalsWanted(context.params)) return;
      enqueue.assign({ quoteSignals: foldTrade(context.quoteSignals, event.ts, event.price, event.size, event.aggressor, context.mid, context.params) });
    }),
    foldPositionSignals: assign(({ context, event }) =>
      event.type === 'POSITION' ? { quoteSignals: foldPosition(context.quoteSignals, event.ts, event.position, context.params, event.fill !== undefined) } : {},
    ),
    recordExternalMid: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'EXTERNAL_MID') return;
      // The runtime validates the mid before it gets here (pushExternalMid).
      enqueue.assign({ now: Math.max(context.now, event.ts), quoteSignals: foldExternalMid(context.quoteSignals, event.ts, event.venue, event.mid) });
      // Only a pair priced off the other venue requotes on it.
      if (context.params.reference.source === 'external-mid') enqueue.raise({ type: 'EVALUATE' });
    }),
    recordVenueFillRates: assign(({ context, event }) => (event.type === 'VENUE_FILL_RATES' ? { quoteSignals: foldVenueFillRates(context.quoteSignals, event.rates) } : {})),
    // Risk and toxicity measurements (src/risk/pair-risk.ts); each may raise a toxicity alarm.
    recordRiskOnBook: assign(({ context, event }) =>
      event.type === 'BOOK' && context.mid !== null ? { risk: riskOnMid(context.risk, context.params, event.ts, context.mid) } : {},
    ),
    recordRiskOnTrade: assign(({ context, event }) =>
      event.type === 'TRADE' ? { risk: riskOnTrade(context.risk, context.params, { ts: event.ts, size: event.size, aggressor: event.aggressor }) } : {},
    ),
    recordRiskOnFill: assign(({ context, event }) =>
      event.type === 'POSITION' && event.fill ? { risk: riskOnFill(context.risk, context.params, context.market, event.ts, event.fill) } : {},
    ),
    raiseToxicity: enqueueActions(({ context, enqueue }) => {
      if (context.risk.alarm !== null) enqueue.raise({ type: 'EVALUATE_TOXICITY' });
    }),
    /** An alarm in a state that does not act on it (starting, cooling down, liquidating) lapses. */
    dropToxicAlarm: assign(({ context }) => (context.risk.alarm === null ? {} : { risk: { ...context.risk, alarm: null } })),
    noteToxicWhilePaused: assign(({ context }) => ({ risk: noteToxicWhilePaused(context.risk, context.now) })),
    clearRiskHold: assign(({ context }) =>
      context.risk.hold === null && context.risk.toxicWhilePaused === null ? {} : { risk: { ...context.risk, hold: null, toxicWhilePaused: null } },
    ),
    evaluate: raise({ type: 'EVALUATE' }),
    evaluateRisk: raise({ type: 'EVALUATE_RISK' }),
    checkFeed: raise({ type: 'CHECK_FEED' }),
    decideQuotes: enqueueActions(({ context, enqueue }, params: { reduceOnly: boolean }) => {
      const mid = midOf(context);
      if (mid === null || context.bestBid === null || context.bestAsk === null) return;
      const { reduceOnly } = params;
      const inputs = {
        ts: context.now,
        mid,
        bestBid: context.bestBid,
        bestAsk: context.bestAsk,
        volatilityBps: realisedVolatilityBps(context.volatility),
        position: context.position,
        reduceOnly,
        ...(reduceOnly ? {} : quoteSignalInputs(context)),
        ...(context.group ? { group: context.group } : {}),
      };
      const decision = decideMemberQuotes(inputs, context.params, context.market);
      const key = ladderKey(decision);
      enqueue.assign({ lastQuoteTs: context.now, quoteDirty: false, lastQuoteKey: key });
      if (key === context.lastQuoteKey) return;
      enqueue.emit(
        domain({ type: 'QuoteDecided', data: { paramsVersion: context.paramsVersion, inputs: toQuoteInputsData(inputs), output: toQuoteOutputData(decision) } }),
      );
    }),
  },
}).createMachine({
  id: 'pair',
  initial: 'starting',
  context: ({ input }) => ({
    pairId: input.pairId,
    market: input.market,
    params: input.params,
    paramsVersion: input.paramsVersion,
    now: input.now,
    startedAt: input.now,
    bestBid: null,
    bestAsk: null,
    mid: null,
    lastDataTs: null,
    feedProblem: null,
    feedStaleSince: null,
    volatility: emptyVolatility(),
    shockWindow: emptyShockWindow(),
    position: input.position,
    shock: null,
    pause: null,
    venueDown: null,
    lastQuoteTs: null,
    lastQuoteKey: null,
    quoteDirty: true,
    quoteSignals: initialQuoteSignals(input.now, input.position, input.params),
    risk: initialPairRisk(input.pnl, input.now),
    group: null,
    restore: input.restore ?? null,
  }),
  on: {
    BOOK: { actions: ['recordBook', 'foldBookSignals', 'recordRiskOnBook', 'evaluate', 'raiseToxicity'] },
    TRADE: { actions: ['foldTradeSignals', 'recordTrade', 'recordRiskOnTrade', 'raiseToxicity'] },
    EXTERNAL_MID: { actions: 'recordExternalMid' },
    VENUE_FILL_RATES: { actions: 'recordVenueFillRates' },
    EVALUATE_TOXICITY: { actions: 'dropToxicAlarm' },
    FEED_PROBLEM: { actions: ['recordFeedProblem', 'evaluate'] },
    FEED_RECOVERED: { actions: ['recordFeedRecovered', 'evaluate'] },
    POSITION: { actions: ['recordPosition', 'foldPositionSignals', 'recordRiskOnFill', 'evaluateRisk', 'raiseToxicity'] },
    // Like a fill, a new group total waits for the next book to requote.
    GROUP_POSITION: { actions: 'recordGroup' },
    HEARTBEAT: { actions: ['recordNow', 'checkFeed'] },
    // States without live quotes only note the outage; the quoting states pause on it (below).
    VENUE_DOWN: { actions: 'recordVenueDown' },
    VENUE_UP: { actions: ['recordVenueUp', 'evaluate'] },
    // Any state: the new parameters hold from now on; a quoting state decides again at once with them.
    PARAMS_CHANGED: {
      actions: [
        assign(({ context, event }) => ({ now: Math.max(context.now, event.ts), params: event.params, paramsVersion: event.paramsVersion, lastQuoteKey: null, quoteDirty: true })),
        'evaluate',
      ],
    },
    STOP: {
      target: '.stopped',
      actions: enqueueActions(({ context, event, self, enqueue }) => {
        const from = String(self.getSnapshot().value) as PairState;
        enqueue.emit(
          domain({ type: 'PairStopped', data: { from, to: 'stopped', reason: event.reason, position: context.position, openOrders: event.openOrders } }),
        );
      }),
    },
  },
  states: {
    starting: {
      on: {
        START: [
          { guard: 'restoreShock', target: 'shock-cooldown', actions: ['recordNow', enqueueActions(restoreShock)] },
          { guard: 'restorePause', target: 'paused', actions: ['recordNow', enqueueActions(restorePause)] },
          { guard: 'feedBlocked', target: 'paused', actions: ['recordNow', enqueueActions(pauseForFeed('starting'))] },
          { guard: 'venueBlocked', target: 'paused', actions: ['recordNow', enqueueActions(pauseForVenue('starting'))] },
          { guard: 'beyondHardLimit', target: 'liquidating', actions: ['recordNow', enqueueActions(startLiquidation('starting'))] },
          {
            target: 'quoting',
            actions: [
              'recordNow',
              enqueueActions(({ enqueue }) => {
                enqueue.emit(domain({ type: 'QuotingStarted', data: { from: 'starting', to: 'quoting', reason: 'state rebuilt and reconciled' } }));
              }),
            ],
          },
        ],
        OPERATOR_PAUSE: { target: 'paused', actions: enqueueActions(pauseFor('starting', 'operator')) },
      },
    },
    quoting: {
      entry: [assign(quotingAfresh), 'clearRiskHold', 'evaluate'],
      on: {
        EVALUATE: [
          { guard: 'feedBlocked', target: 'paused', actions: enqueueActions(pauseForFeed('quoting')) },
          { guard: 'shockDetected', target: 'shock-cooldown', actions: enqueueActions(enterShock('quoting')) },
          { guard: 'beyondHardLimit', target: 'liquidating', actions: enqueueActions(startLiquidation('quoting')) },
          { guard: 'riskLimitBreached', target: 'paused', actions: enqueueActions(pauseForRisk('quoting')) },
          { guard: 'toxicAlarm', target: 'paused', actions: enqueueActions(pauseForToxicity('quoting')) },
          // Order refresh: no new decision right after a fill (risk.requoteDelayAfterFillMs).
          { guard: 'requoteHeld' },
          { guard: 'quoteDue', actions: { type: 'decideQuotes', params: { reduceOnly: false } } },
        ],
        EVALUATE_RISK: [
          { guard: 'beyondHardLimit', target: 'liquidating', actions: enqueueActions(startLiquidation('quoting')) },
          { guard: 'riskLimitBreached', target: 'paused', actions: enqueueActions(pauseForRisk('quoting')) },
          { guard: 'toxicAlarm', target: 'paused', actions: enqueueActions(pauseForToxicity('quoting')) },
        ],
        EVALUATE_TOXICITY: { guard: 'toxicAlarm', target: 'paused', actions: enqueueActions(pauseForToxicity('quoting')) },
        CHECK_FEED: { guard: 'feedStale', target: 'paused', actions: enqueueActions(pauseForStaleFeed('quoting')) },
        OPERATOR_PAUSE: { target: 'paused', actions: enqueueActions(pauseFor('quoting', 'operator')) },
        FENCED: { target: 'paused', actions: enqueueActions(pauseFor('quoting', 'fenced')) },
        STORE_FAILED: { target: 'paused', actions: enqueueActions(pauseFor('quoting', 'store-failure')) },
        VENUE_DOWN: { target: 'paused', actions: ['recordVenueDown', enqueueActions(pauseForVenue('quoting'))] },
        VENUE_REFUSED: { target: 'paused', actions: ['recordNow', enqueueActions(pauseForRefusal('quoting'))] },
      },
    },
    paused: {
      entry: assign(noQuotesLive),
      after: {
        // A risk or toxicity pause with a deadline (calm period, next UTC day) resumes at it.
        riskHoldRemaining: [
          // Toxic signals came during the calm period: it runs on from the last of them (recorded).
          { guard: 'toxicDuringCalm', target: 'paused', reenter: true, actions: enqueueActions(rearmToxicity) },
          { guard: and(['riskHoldTimed', 'venueBlocked']), actions: enqueueActions(waitForVenueAtRiskDeadline) },
          { guard: 'riskHoldTimed', target: 'quoting', actions: enqueueActions(resumeAtRiskDeadline) },
        ],
      },
      on: {
        // An operator pause replaces an auto-resumable reason, so it does not clear by itself.
        // It also ends a risk or toxicity hold, whose deadline would otherwise resume the pair.
        OPERATOR_PAUSE: { target: 'paused', actions: ['clearRiskHold', enqueueActions(pauseFor('paused', 'operator'))] },
        EVALUATE: [
          {
            guard: 'canAutoResume',
            target: 'quoting',
            actions: enqueueActions(({ context, enqueue }) => {
              enqueue.emit(domain({ type: 'Resumed', data: { from: 'paused', to: 'quoting', reason: context.pause?.reason ?? 'unknown', detail: 'condition cleared' } }));
            }),
          },
          {
            guard: 'riskHoldCleared',
            target: 'quoting',
            actions: enqueueActions(({ context, enqueue }) => {
              const rule = context.risk.hold?.kind === 'risk' ? context.risk.hold.rule : 'risk';
              enqueue.emit(domain({ type: 'Resumed', data: { from: 'paused', to: 'quoting', reason: 'risk-limit', detail: `${rule} back inside its limit` } }));
            }),
          },
        ],
        // Toxicity while paused for toxicity is noted; the deadline then moves (see `after`).
        EVALUATE_TOXICITY: { guard: 'toxicHoldExtends', actions: 'noteToxicWhilePaused' },
        CHECK_FEED: { guard: 'feedStale', actions: enqueueActions(markStaleWhilePaused) },
        OPERATOR_RESUME: [
          {
            guard: 'feedBlocked',
            actions: enqueueActions(({ context, event, enqueue }) => {
              const f = feedPauseDetail(context);
              enqueue.emit(domain({ type: 'RiskLimitBreached', data: { limit: 'feed-health', value: f.reason, threshold: 'healthy', action: `resume by ${'identity' in event ? event.identity : '?'} refused` } }));
              enqueue.assign({ pause: { reason: f.reason, detail: f.detail } });
            }),
          },
          {
            guard: 'venueBlocked',
            actions: enqueueActions(({ context, event, enqueue }) => {
              const detail = context.venueDown?.detail ?? 'venue unavailable';
              enqueue.emit(domain({ type: 'RiskLimitBreached', data: { limit: 'venue-health', value: 'venue-unavailable', threshold: 'available', action: `resume by ${'identity' in event ? event.identity : '?'} refused` } }));
              enqueue.assign({ pause: { reason: 'venue-unavailable', detail } });
            }),
          },
          {
            target: 'quoting',
            actions: enqueueActions(({ context, event, enqueue }) => {
              if (event.type !== 'OPERATOR_RESUME') return;
              enqueue.emit(domain({ type: 'Resumed', data: { from: 'paused', to: 'quoting', reason: 'operator', detail: `${event.identity}: ${event.reason}; was ${context.pause?.reason ?? 'unknown'}` } }));
              // The limit that held is waived where it would fire again at once (src/risk/pair-risk.ts).
              enqueue.assign({ risk: acknowledgeOperatorResume(context.risk, { position: context.position, mid: context.mid, now: context.now }) });
            }),
          },
        ],
      },
    },
    'shock-cooldown': {
      entry: assign(noQuotesLive),
      after: {
        cooldownRemaining: [
          // Only after a restart: the cooldown ended before any market data came in.
          { guard: 'noMarketData', target: 'paused', actions: enqueueActions(pauseForStaleFeed('shock-cooldown')) },
          { guard: 'feedBlocked', target: 'paused', actions: enqueueActions(pauseForFeed('shock-cooldown')) },
          {
            guard: 'backInResumeBand',
            target: 'quoting',
            actions: enqueueActions(({ context, enqueue }) => {
              const mid = midOf(context) ?? 0;
              const ref = context.shock?.referencePrice ?? mid;
              enqueue.emit(
                domain({
                  type: 'ShockCleared',
                  data: { from: 'shock-cooldown', to: 'quoting', price: dec(mid), referencePrice: dec(ref), distancePct: (Math.abs(mid - ref) / ref) * 100, resumeBandPct: context.params.shock.resumeBandPct },
                }),
              );
            }),
          },
          { guard: 'rearmsLeft', target: 'shock-cooldown', reenter: true, actions: enqueueActions(rearmShock) },
          {
            target: 'paused',
            actions: enqueueActions(({ context, enqueue }) => {
              enqueue.emit(pausedEvent('shock-cooldown', 'shock-rearms-exhausted', 'price did not settle within the resume band', { rearms: context.shock?.rearms ?? 0 }));
              enqueue.assign({ pause: { reason: 'shock-rearms-exhausted', detail: 'price did not settle' } });
            }),
          },
        ],
      },
      on: {
        OPERATOR_PAUSE: { target: 'paused', actions: enqueueActions(pauseFor('shock-cooldown', 'operator')) },
        FENCED: { target: 'paused', actions: enqueueActions(pauseFor('shock-cooldown', 'fenced')) },
        STORE_FAILED: { target: 'paused', actions: enqueueActions(pauseFor('shock-cooldown', 'store-failure')) },
        VENUE_DOWN: { target: 'paused', actions: ['recordVenueDown', enqueueActions(pauseForVenue('shock-cooldown'))] },
        VENUE_REFUSED: { target: 'paused', actions: ['recordNow', enqueueActions(pauseForRefusal('shock-cooldown'))] },
      },
    },
    liquidating: {
      entry: [assign(quotingAfresh), 'evaluate'],
      on: {
        EVALUATE: [
          { guard: 'feedBlocked', target: 'paused', actions: enqueueActions(pauseForFeed('liquidating')) },
          { guard: 'withinMaxPosition', target: 'quoting', actions: enqueueActions(completeLiquidation) },
          { guard: 'quoteDue', actions: { type: 'decideQuotes', params: { reduceOnly: true } } },
        ],
        EVALUATE_RISK: { guard: 'withinMaxPosition', target: 'quoting', actions: enqueueActions(completeLiquidation) },
        CHECK_FEED: { guard: 'feedStale', target: 'paused', actions: enqueueActions(pauseForStaleFeed('liquidating')) },
        OPERATOR_PAUSE: { target: 'paused', actions: enqueueActions(pauseFor('liquidating', 'operator')) },
        FENCED: { target: 'paused', actions: enqueueActions(pauseFor('liquidating', 'fenced')) },
        STORE_FAILED: { target: 'paused', actions: enqueueActions(pauseFor('liquidating', 'store-failure')) },
        VENUE_DOWN: { target: 'paused', actions: ['recordVenueDown', enqueueActions(pauseForVenue('liquidating'))] },
        VENUE_REFUSED: { target: 'paused', actions: ['recordNow', enqueueActions(pauseForRefusal('liquidating'))] },
      },
    },
    stopped: { type: 'final' },
  },
});

/** The signal inputs of a decision, only when a rule reads them (see signalsWanted). */
function quoteSignalInputs(ctx: PairContext): { signals?: ReturnType<typeof quoteSignalsAt> } {
  const signals = quoteSignalsAt(ctx.quoteSignals, ctx.now, ctx.params);
  return signals ? { signals } : {};
}

/** Restart recovery: resume the recorded cooldown with its recorded deadline (XState does not persist `after` timers). */
function restoreShock({ context, enqueue }: EnqueueArgs) {
  const r = context.restore;
  if (r?.state !== 'shock-cooldown') return;
  enqueue.emit(
    domain({
      type: 'StateRestored',
      data: {
        from: 'starting',
        to: 'shock-cooldown',
        reason: 'restart',
        detail: 'cooldown resumed from the recorded deadline',
        cooldownUntil: r.cooldownUntil,
        referencePrice: dec(r.referencePrice),
        rearms: r.rearms,
      },
    }),
  );
  enqueue.assign({ restore: null, shock: { referencePrice: r.referencePrice, cooldownUntil: r.cooldownUntil, rearms: r.rearms } });
}

/** Restart recovery: a pause that needs an operator (or a failed reconciliation) holds across the restart. */
function restorePause({ context, enqueue }: EnqueueArgs) {
  const r = context.restore;
  if (r?.state !== 'paused') return;
  enqueue.emit(domain({ type: 'StateRestored', data: { from: 'starting', to: 'paused', reason: 'restart', detail: r.detail, pauseReason: r.reason } }));
  // A risk or toxicity hold comes back with its deadline, so the `after` of paused resumes it on time.
  enqueue.assign({ restore: null, pause: { reason: r.reason, detail: r.detail }, ...(r.riskHold ? { risk: { ...context.risk, hold: r.riskHold } } : {}) });
}

type EnqueueArgs = Parameters<Parameters<typeof enqueueActions<PairContext, PairMachineEvent, undefined, PairMachineEvent, never, never, never, never, DomainEmitted>>[0]>[0];

function startLiquidation(from: PairState) {
  return ({ context, enqueue }: EnqueueArgs) => {
    enqueue.emit(
      domain({
        type: 'LiquidationStarted',
        data: { from, to: 'liquidating', position: context.position, hardLimit: context.params.inventory.hardLimit, targetPosition: targetPosition(context), excess: liquidationExcess(context) },
      }),
    );
  };
}

function completeLiquidation({ context, enqueue }: EnqueueArgs) {
  enqueue.emit(domain({ type: 'LiquidationCompleted', data: { from: 'liquidating', to: 'quoting', position: context.position, maxPosition: context.params.inventory.maxPosition } }));
}

function pauseForFeed(from: PairState) {
  return ({ context, enqueue }: EnqueueArgs) => {
    const f = feedPauseDetail(context);
    enqueue.emit(pausedEvent(from, f.reason, f.detail, f.numbers));
    enqueue.assign({ pause: { reason: f.reason, detail: f.detail } });
  };
}

function pauseForStaleFeed(from: PairState) {
  return ({ context, enqueue }: EnqueueArgs) => {
    const ageMs = feedAgeMs(context);
    enqueue.emit(domain({ type: 'FeedStale', data: { lastDataTs: context.lastDataTs, ageMs, maxAgeMs: context.params.feed.maxAgeMs } }));
    enqueue.emit(pausedEvent(from, 'feed-stale', 'no market data within maxAgeMs', { ageMs, maxAgeMs: context.params.feed.maxAgeMs }));
    enqueue.assign({ feedStaleSince: context.now, pause: { reason: 'feed-stale', detail: 'no market data within maxAgeMs' } });
  };
}

/** While already paused for another reason, a dead feed is still recorded, once. */
function markStaleWhilePaused({ context, enqueue }: EnqueueArgs) {
  if (context.feedStaleSince !== null) return;
  const ageMs = feedAgeMs(context);
  enqueue.emit(domain({ type: 'FeedStale', data: { lastDataTs: context.lastDataTs, ageMs, maxAgeMs: context.params.feed.maxAgeMs } }));
  enqueue.assign({ feedStaleSince: context.now });
}

function pauseFor(from: PairState, reason: Extract<PauseReason, 'operator' | 'fenced' | 'store-failure'>) {
  return ({ event, enqueue }: EnqueueArgs) => {
    const detail = event.type === 'OPERATOR_PAUSE' ? `${event.identity}: ${event.reason}` : 'detail' in event ? event.detail : reason;
    enqueue.emit(pausedEvent(from, reason, detail, {}));
    enqueue.assign({ pause: { reason, detail } });
  };
}

/** The venue is down: pause until it answers again (VENUE_UP resumes by itself). */
function pauseForVenue(from: PairState) {
  return ({ context, event, enqueue }: EnqueueArgs) => {
    const since = event.type === 'VENUE_DOWN' ? event.ts : (context.venueDown?.since ?? context.now);
    const detail = event.type === 'VENUE_DOWN' ? event.detail : (context.venueDown?.detail ?? 'venue unavailable');
    enqueue.emit(pausedEvent(from, 'venue-unavailable', detail, { since }));
    enqueue.assign({ pause: { reason: 'venue-unavailable', detail } });
  };
}

/** The venue refused an order for lack of funds, or in a way only an operator can fix. */
function pauseForRefusal(from: PairState) {
  return ({ event, enqueue }: EnqueueArgs) => {
    if (event.type !== 'VENUE_REFUSED') return;
    enqueue.emit(pausedEvent(from, event.reason, event.detail, {}));
    enqueue.assign({ pause: { reason: event.reason, detail: event.detail } });
  };
}

function enterShock(from: PairState) {
  return ({ context, enqueue }: EnqueueArgs) => {
    const m = shockMeasure(context);
    const mid = midOf(context);
    if (!m || mid === null) return;
    const cooldownUntil = context.now + context.params.shock.cooldownMs;
    enqueue.emit(
      domain({
        type: 'ShockDetected',
        data: {
          from,
          to: 'shock-cooldown',
          price: dec(mid),
          referencePrice: dec(m.referencePrice),
          movePct: m.movePct,
          thresholdPct: context.params.shock.thresholdPct,
          windowMs: context.params.shock.windowMs,
          cooldownUntil,
          rearms: 0,
        },
      }),
    );
    // The new reference is where the price landed; resuming needs it to hold there.
    enqueue.assign({ shock: { referencePrice: mid, cooldownUntil, rearms: 0 }, shockWindow: emptyShockWindow() });
  };
}

function rearmShock({ context, enqueue }: EnqueueArgs) {
  const mid = midOf(context);
  if (!context.shock || mid === null) return;
  const rearms = context.shock.rearms + 1;
  // A timer carries no timestamp: it fired at the deadline it was set for.
  const firedAt = Math.max(context.now, context.shock.cooldownUntil);
  const cooldownUntil = firedAt + context.params.shock.cooldownMs;
  const ref = context.shock.referencePrice;
  enqueue.emit(
    domain({
      type: 'ShockDetected',
      data: {
        from: 'shock-cooldown',
        to: 'shock-cooldown',
        price: dec(mid),
        referencePrice: dec(ref),
        movePct: (Math.abs(mid - ref) / ref) * 100,
        thresholdPct: context.params.shock.thresholdPct,
        windowMs: context.params.shock.windowMs,
        cooldownUntil,
        rearms,
      },
    }),
  );
  enqueue.assign({ now: firedAt, shock: { referencePrice: mid, cooldownUntil, rearms } });
}

// ---- risk limits and toxicity ----

function pauseForRisk(from: PairState) {
  return ({ context, enqueue }: EnqueueArgs) => {
    const breach = riskLimitBreach(context);
    if (!breach) return;
    const r = breach.resume;
    const action = r.kind === 'at' ? `pause until ${new Date(r.at).toISOString()}` : r.kind === 'when-clear' ? 'pause until back inside the limit' : 'pause until an operator resumes';
    const numbers: Record<string, string | number> = { limit: breach.rule, value: breach.value, threshold: breach.threshold };
    if (r.kind === 'at') numbers['resumeAt'] = r.at;
    enqueue.emit(domain({ type: 'RiskLimitBreached', data: { limit: breach.rule, value: breach.value, threshold: breach.threshold, action } }));
    enqueue.emit(pausedEvent(from, 'risk-limit', breach.detail, numbers));
    enqueue.assign({ pause: { reason: 'risk-limit', detail: breach.detail }, risk: { ...context.risk, alarm: null, hold: holdFor(breach) } });
  };
}

function toxicityRecord(context: PairContext) {
  const alarm = context.risk.alarm;
  if (!alarm) return null;
  const hold = toxicHold(alarm, context.now, context.params.toxicity);
  const event = domain({ type: 'AdverseSelectionDetected', data: { signal: alarm.signal, value: alarm.value, threshold: alarm.threshold, detail: alarm.detail, calmUntil: hold.until } });
  return { alarm, hold, event };
}

function pauseForToxicity(from: PairState) {
  return ({ context, enqueue }: EnqueueArgs) => {
    const t = toxicityRecord(context);
    if (!t) return;
    const reason = holdReason(t.hold) as PauseReason;
    enqueue.emit(t.event);
    enqueue.emit(pausedEvent(from, reason, `${t.alarm.signal}: ${t.alarm.detail}`, { signal: t.alarm.signal, value: t.alarm.value, threshold: t.alarm.threshold, resumeAt: t.hold.until }));
    enqueue.assign({ pause: { reason, detail: `${t.alarm.signal}: ${t.alarm.detail}` }, risk: { ...context.risk, alarm: null, toxicWhilePaused: null, hold: t.hold } });
  };
}

/** The calm period ended but was not calm: one event records the last signal and the new deadline. */
function rearmToxicity({ context, enqueue }: EnqueueArgs) {
  const r = rearmToxicHold(context.risk, context.params.toxicity);
  const firedAt = context.risk.hold?.until ?? context.now;
  if (!r) return;
  enqueue.emit(domain({ type: 'AdverseSelectionDetected', data: { signal: r.alarm.signal, value: r.alarm.value, threshold: r.alarm.threshold, detail: `during the calm period: ${r.alarm.detail}`, calmUntil: r.until } }));
  // A timer carries no timestamp: it fired at the deadline it was set for.
  enqueue.assign({ now: Math.max(context.now, firedAt), risk: r.state });
}

/** The deadline of a timed risk or toxicity pause has come: what it was, and the context after it. */
function riskDeadlinePassed(context: PairContext) {
  const hold = context.risk.hold;
  if (hold === null || hold.until === null) return null;
  // A timer carries no timestamp: it fired at the deadline it was set for.
  const now = Math.max(context.now, hold.until);
  const risk = { ...context.risk, hold: null, pnl: rollUtcDay(context.risk.pnl, now) };
  const what = hold.kind === 'toxicity' ? `calm period after ${hold.signal} over` : `${hold.rule} pause over at ${new Date(hold.until).toISOString()}`;
  return { hold, now, risk, what };
}

function resumeAtRiskDeadline({ context, enqueue }: EnqueueArgs) {
  const d = riskDeadlinePassed(context);
  if (!d) return;
  enqueue.emit(domain({ type: 'Resumed', data: { from: 'paused', to: 'quoting', reason: holdReason(d.hold), detail: d.what } }));
  enqueue.assign({ now: d.now, risk: d.risk });
}

/** The venue is still down at the deadline: wait for it (VENUE_UP resumes a venue-unavailable pause). */
function waitForVenueAtRiskDeadline({ context, enqueue }: EnqueueArgs) {
  const d = riskDeadlinePassed(context);
  if (!d) return;
  enqueue.assign({ now: d.now, risk: d.risk, pause: { reason: 'venue-unavailable', detail: `${d.what}; ${context.venueDown?.detail ?? 'venue unavailable'}` } });
}

export type PairMachine = typeof pairMachine;
