/**
 * Test controls of the local provider server: make a service throttle N times, fail with HTTP 500 N times or
 * for good, or answer a malformed body. Faults are taken in that order of precedence: malformed, failure,
 * throttling. Each service counts the requests it receives so tests can see retries happen.
 */
export const localServiceNames = [
  'aws-cost-explorer',
  'aws-ec2',
  'aws-pricing',
  'aws-service-quotas',
  'azure-cost-management',
  'azure-retail-prices',
  'gcp-cloud-catalog',
  'gcp-bigquery',
] as const;
export type LocalServiceName = (typeof localServiceNames)[number];

export interface ServiceFaults {
  /** Answer this many requests with the provider's throttling reply. */
  throttle?: number;
  /** Answer this many requests (or every one) with HTTP 500. */
  fail?: number | 'always';
  /** Answer this many requests (or every one) with a body cut in the middle. */
  malformed?: number | 'always';
  /** Seconds the throttling reply asks to wait (Retry-After and provider equivalents); 0 by default. */
  retryAfterSeconds?: number;
}

export type Fault = { kind: 'throttle'; retryAfterSeconds: number } | { kind: 'fail' } | { kind: 'malformed' };

export class FaultControls {
  private readonly faults = new Map<LocalServiceName, ServiceFaults>();
  private readonly counts = new Map<LocalServiceName, number>();

  constructor(initial: Partial<Record<LocalServiceName, ServiceFaults>> = {}) {
    for (const [name, faults] of Object.entries(initial)) this.faults.set(name as LocalServiceName, { ...faults });
  }

  throttle(service: LocalServiceName, times: number, retryAfterSeconds = 0): void {
    this.update(service, { throttle: times, retryAfterSeconds });
  }

  fail(service: LocalServiceName, times: number | 'always'): void {
    this.update(service, { fail: times });
  }

  malformed(service: LocalServiceName, times: number | 'always' = 1): void {
    this.update(service, { malformed: times });
  }

  /** Clears the faults of one service, or of all. */
  reset(service?: LocalServiceName): void {
    if (service) this.faults.delete(service);
    else this.faults.clear();
  }

  /** Requests a service has received since the server started (or since `resetCounts`). */
  requests(service: LocalServiceName): number {
    return this.counts.get(service) ?? 0;
  }

  resetCounts(): void {
    this.counts.clear();
  }

  /** Called by a service for each request: the fault to answer with, if any. */
  next(service: LocalServiceName): Fault | undefined {
    this.counts.set(service, this.requests(service) + 1);
    const f = this.faults.get(service);
    if (!f) return undefined;
    if (f.malformed === 'always') return { kind: 'malformed' };
    if (typeof f.malformed === 'number' && f.malformed > 0) {
      f.malformed--;
      return { kind: 'malformed' };
    }
    if (f.fail === 'always') return { kind: 'fail' };
    if (typeof f.fail === 'number' && f.fail > 0) {
      f.fail--;
      return { kind: 'fail' };
    }
    if (typeof f.throttle === 'number' && f.throttle > 0) {
      f.throttle--;
      return { kind: 'throttle', retryAfterSeconds: f.retryAfterSeconds ?? 0 };
    }
    return undefined;
  }

  private update(service: LocalServiceName, change: ServiceFaults): void {
    this.faults.set(service, { ...this.faults.get(service), ...change });
  }
}

/** A body cut in the middle: what a dropped connection or a broken proxy hands back. */
export function truncated(body: string): string {
  return body.slice(0, Math.max(1, Math.floor(body.length / 2)));
}
