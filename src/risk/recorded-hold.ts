import type { DomainEvent } from '../../events/catalog.js';
import type { RiskHold } from './pair-risk.js';
import type { RiskRule } from './risk-limits.js';
import { PAUSE_REASON_OF, type ToxicSignal } from './toxicity-signals.js';

/*
 * The risk or toxicity pause a pair stream ended in, rebuilt from its events
 * alone, so a restart can re-arm its deadline (XState does not restore timers).
 */

const TOXIC_SIGNALS = new Set<string>(Object.keys(PAUSE_REASON_OF));
const RISK_RULES = new Set<string>(['max-position-value', 'max-exposure', 'daily-loss', 'max-drawdown', 'trades-per-minute', 'price-band']);
const CLEARS_BY_ITSELF = new Set<string>(['max-position-value', 'max-exposure', 'price-band']);

export function applyToRecordedHold(hold: RiskHold | null, event: DomainEvent): RiskHold | null {
  switch (event.type) {
    case 'Paused': {
      const { reason, numbers } = event.data;
      if ((reason === 'toxic-flow' || reason === 'adverse-selection') && TOXIC_SIGNALS.has(String(numbers['signal'])) && typeof numbers['resumeAt'] === 'number') {
        return { kind: 'toxicity', signal: numbers['signal'] as ToxicSignal, reason, until: numbers['resumeAt'] };
      }
      if (reason === 'risk-limit' && RISK_RULES.has(String(numbers['limit']))) {
        const rule = numbers['limit'] as RiskRule;
        return { kind: 'risk', rule, until: typeof numbers['resumeAt'] === 'number' ? numbers['resumeAt'] : null, whenClear: CLEARS_BY_ITSELF.has(rule) };
      }
      return null;
    }
    case 'AdverseSelectionDetected':
      // A calm period that ran on: the new deadline.
      return hold?.kind === 'toxicity' && event.data.calmUntil !== undefined ? { ...hold, until: event.data.calmUntil } : hold;
    default:
      // Any other change of state ends the pause.
      return 'to' in event.data && event.data.to !== 'paused' ? null : hold;
  }
}

export const recordedRiskHold = (events: Iterable<DomainEvent>): RiskHold | null => {
  let hold: RiskHold | null = null;
  for (const e of events) hold = applyToRecordedHold(hold, e);
  return hold;
};
