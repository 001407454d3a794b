import { HOURS_PER_MONTH, signalId, type RaisedSignal } from './signal-terms.js';
import { compareDecimal, parseDecimal } from '../core/money.js';
import { commitSignal } from './commit.js';
import { consolidateSignal } from './consolidate.js';
import { marketOffers } from './market-offers.js';
import { moveSignal } from './move.js';
import { reclaimSignals } from './reclaim.js';
import { renegotiateSignals } from './renegotiate.js';
import { replaceSignals } from './replace.js';
import type { SignalInputs, SignalSettings } from './signal-settings.js';

/**
 * Recontracting signals: which contracts to change, with the numbers used, the dollars a month at stake and how
 * sure we are. Pure: the pools and GPUs the analysis observed, the market's prices (latest and history) and
 * capacity come in; signals without times come out (the signal store adds firstRaisedAt and updatedAt).
 *
 * Every amount is an exact decimal; a month is 730 hours. Prices are compared per GPU-hour, in USD.
 */

export { HOURS_PER_MONTH, signalId, type RaisedSignal };
export { defaultSignalSettings, signalSettings, type SignalInputs, type SignalSettings } from './signal-settings.js';
export { percentile } from './market-offers.js';
export { interruptionRate } from './move.js';

/** Every signal the inputs raise, largest monthly impact first. */
export function computeSignals(inputs: SignalInputs, settings: SignalSettings): RaisedSignal[] {
  const offers = marketOffers(inputs.latestPrices);
  const signals: RaisedSignal[] = [];
  for (const pool of inputs.pools) {
    const commit = commitSignal(pool, offers, settings);
    if (commit) signals.push(commit);
    const move = moveSignal(pool, offers, inputs.capacity, settings);
    if (move) signals.push(move);
    const consolidate = consolidateSignal(pool, settings);
    if (consolidate) signals.push(consolidate);
  }
  signals.push(...reclaimSignals(inputs.workloads ?? [], settings));
  signals.push(...replaceSignals(inputs.gpus, inputs.pools, settings));
  signals.push(...renegotiateSignals(inputs, settings));
  return signals.sort(
    (a, b) => compareDecimal(parseDecimal(b.monthlyImpact), parseDecimal(a.monthlyImpact)) || a.signalId.localeCompare(b.signalId),
  );
}
