import type { RecordedEvent } from '../../events/envelope.js';
import { applyFillToInventory, emptyInventory } from '../../projections/inventory.js';
import { applyFillFee, emptyFeesAndMark, markAt, pnlSummary } from '../../projections/pnl.js';
import { D } from '../core/decimal.js';
import { utcDayStart } from './running-pnl.js';

/**
 * What a restart must not forget of the loss limits, from the log alone: the
 * net PnL at 00:00 UTC of today (so the daily loss keeps counting from
 * midnight, not from the restart) and the highest net PnL (the drawdown
 * reference). An operator's resume re-bases both at that moment, as the
 * running limits do when an operator waives them. Net PnL is marked, like the
 * projection, at the mid of the last recorded decision.
 */
export function recordedPnlMarks(events: Iterable<RecordedEvent>, market: { readonly base: string; readonly quote: string }, now: number): { readonly dayStartNet: string; readonly peak: string } {
  const dayStart = utcDayStart(now);
  let inventory = emptyInventory();
  let fm = emptyFeesAndMark();
  let net = '0';
  let peak = '0';
  let dayStartNet = '0';
  for (const e of events) {
    const before = Date.parse(e.time) < dayStart;
    if (e.type === 'OrderFilled') {
      inventory = applyFillToInventory(inventory, e.data);
      fm = applyFillFee(fm, e.data, market);
    } else if (e.type === 'QuoteDecided') {
      fm = markAt(fm, e.data.inputs.mid);
    } else if (e.type === 'Resumed' && e.data.reason === 'operator') {
      peak = net;
      if (!before) dayStartNet = net;
      continue;
    } else {
      continue;
    }
    net = pnlSummary(inventory, fm).netPnl;
    if (D(net).gt(peak)) peak = net;
    if (before) dayStartNet = net;
  }
  return { dayStartNet, peak };
}
