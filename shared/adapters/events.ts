import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type LedgerEvent } from '../../events/define.js';
import { logger } from '../logger.js';

/** Where events go: the EventBridge bus in AWS; a bus in this process locally. */
export interface EventPublisher {
  publish(events: LedgerEvent[]): Promise<void>;
}

/** PutEvents in entries of 10, retrying the entries EventBridge reports as failed. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly maxAttempts = 4,
  ) {}

  async publish(events: LedgerEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      let entries: PutEventsRequestEntry[] = events.slice(i, i + 10).map((e) => ({
        EventBusName: this.busName,
        Source: EVENT_SOURCE,
        DetailType: e.name,
        Detail: JSON.stringify(e.detail),
      }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
        if (!out.FailedEntryCount) break;
        const failed = entries.filter((_, j) => out.Entries?.[j]?.ErrorCode);
        if (attempt >= this.maxAttempts) {
          const codes = [...new Set(out.Entries?.map((e) => e.ErrorCode).filter(Boolean))].join(', ');
          throw new Error(`EventBridge refused ${failed.length} of ${entries.length} events after ${attempt} attempts (${codes})`);
        }
        entries = failed;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
      }
    }
  }
}

/** The local runtime's bus: subscribers in this process, and a log line per event. */
export class LocalEventBus implements EventPublisher {
  readonly published: LedgerEvent[] = [];
  private readonly subscribers: ((event: LedgerEvent) => Promise<void> | void)[] = [];

  /** Returns the function that unsubscribes `fn` again. */
  subscribe(fn: (event: LedgerEvent) => Promise<void> | void): () => void {
    this.subscribers.push(fn);
    return () => {
      const at = this.subscribers.indexOf(fn);
      if (at >= 0) this.subscribers.splice(at, 1);
    };
  }

  async publish(events: LedgerEvent[]): Promise<void> {
    for (const event of events) {
      this.published.push(event);
      if (this.published.length > 1000) this.published.shift();
      logger.info('event', { event: event.name });
      for (const fn of this.subscribers) await fn(event);
    }
  }
}

export function createEventPublisher(settings: { busName?: string | undefined; region: string }): EventPublisher {
  if (!settings.busName) return localBus;
  return new EventBridgePublisher(new EventBridgeClient({ region: settings.region }), settings.busName);
}

/** One local bus per process, so the local runtime and its subscribers meet. */
export const localBus = new LocalEventBus();
