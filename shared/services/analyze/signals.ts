import { signalRaised, type SignalView } from '../../../events/analysis.js';
import type { EventPublisher } from '../../adapters/events.js';
import type { LedgerConfig } from '../../config.js';
import type { GpuObservation, PoolObservation, WorkloadObservation } from '../../domain/economics/fleet-observations.js';
import { computeSignals, signalSettings } from '../../domain/signals/signals.js';
import { raiseOnce } from '../notify/raise-once.js';
import { DAY_MS } from '../../domain/core/utc-time.js';
import type { AlertClaims, CapacityReader, PriceReader, SignalRecords } from '../stores.js';

/**
 * Price history read before the trailing window, so the price in effect when the window starts is known for
 * offers that changed within it (a price unchanged since before the look-back comes from the latest prices).
 */
const PRICE_LOOKBACK_DAYS = 60;

/** What raising signals needs; `ledgerDependencies()` provides all of it. */
export interface SignalDependencies {
  config: Pick<LedgerConfig, 'LEDGER_MOVE_MARGIN_PERCENT' | 'LEDGER_CONSOLIDATE_IDLE_PERCENT' | 'LEDGER_RENEGOTIATE_THRESHOLD_PERCENT'>;
  prices: PriceReader;
  capacity: CapacityReader;
  signals: SignalRecords;
  alerts: AlertClaims;
  events: EventPublisher;
}

/**
 * One analysis run's recontracting signals over the whole fleet: reads the market (latest prices, price history,
 * capacity), computes the signals, stores them (firstRaisedAt kept), resolves the open ones this run no longer
 * raises, and publishes `signal.raised` once per signal id. Call it once per run with every pool and GPU: a signal
 * it does not raise is resolved. Returns the raised signals, largest monthly impact first.
 */
export async function raiseSignals(
  deps: SignalDependencies,
  input: { pools: readonly PoolObservation[]; gpus: readonly GpuObservation[]; workloads?: readonly WorkloadObservation[]; nowMs: number },
): Promise<SignalView[]> {
  const settings = signalSettings(deps.config);
  const models = [...new Set(input.pools.map((p) => p.gpuModel).filter((m): m is string => m !== null))].sort();
  const [latestPrices, priceHistory, capacity] = await Promise.all([
    Promise.all(models.map((gpuModel) => deps.prices.latest({ gpuModel }))).then((lists) => lists.flat()),
    models.length
      ? deps.prices.history(
          models,
          { from: input.nowMs - (settings.renegotiateTrailingDays + PRICE_LOOKBACK_DAYS) * DAY_MS, to: input.nowMs + 1 },
          {},
        )
      : Promise.resolve([]),
    deps.capacity.latest({}),
  ]);
  const raised = computeSignals(
    { pools: input.pools, gpus: input.gpus, workloads: input.workloads ?? [], latestPrices, priceHistory, capacity, nowMs: input.nowMs },
    settings,
  );

  const views: SignalView[] = [];
  for (const signal of raised) views.push(await deps.signals.upsert(signal, input.nowMs));
  const raisedIds = new Set(raised.map((s) => s.signalId));
  const gone = (await deps.signals.list({ status: 'open' })).filter((s) => !raisedIds.has(s.signalId)).map((s) => s.signalId);
  await deps.signals.resolve(gone, input.nowMs);

  const alerts = views.map((view) => {
    const alertKey = `signal:${view.signalId}`;
    return { alertKey, event: signalRaised.create({ ...view, alertKey }) };
  });
  await raiseOnce(deps, alerts, input.nowMs);
  return views;
}
