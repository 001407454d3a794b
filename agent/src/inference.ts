/**
 * Inference-server source (vLLM): cumulative token counters, running requests and the end-to-end latency histogram,
 * per served model. Sent under the optional `inference` key of a batch.
 */
import { parsePrometheusText } from './prometheus-text.js';
import type { InferenceReading, LatencyBucket } from './wire.js';

const PROMPT = 'vllm:prompt_tokens_total';
const GENERATION = 'vllm:generation_tokens_total';
const RUNNING = 'vllm:num_requests_running';
const LATENCY = 'vllm:e2e_request_latency_seconds';

const WANTED = new Set([PROMPT, GENERATION, RUNNING, `${LATENCY}_bucket`, `${LATENCY}_sum`, `${LATENCY}_count`]);

interface ModelAccumulator {
  promptTokensTotal?: number;
  generationTokensTotal?: number;
  requestsRunning?: number;
  buckets: Map<string, number>;
  latencySumSeconds?: number;
  latencyCount?: number;
}

function add(current: number | undefined, value: number): number {
  return (current ?? 0) + value;
}

function leOrder(le: string): number {
  return le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
}

/**
 * One reading per `model_name`; series that differ only in other labels (vLLM V1's `engine`) are summed.
 * Readings that are not finite or negative are left out.
 */
export function inferenceReadingsFromVllmText(text: string, server: string, time: string): InferenceReading[] {
  const { samples } = parsePrometheusText(text, (name) => WANTED.has(name));
  const models = new Map<string, ModelAccumulator>();
  for (const s of samples) {
    if (!Number.isFinite(s.value) || s.value < 0) continue;
    const model = s.labels.model_name ?? s.labels.model ?? 'unknown';
    let acc = models.get(model);
    if (!acc) {
      acc = { buckets: new Map() };
      models.set(model, acc);
    }
    switch (s.name) {
      case PROMPT:
        acc.promptTokensTotal = add(acc.promptTokensTotal, s.value);
        break;
      case GENERATION:
        acc.generationTokensTotal = add(acc.generationTokensTotal, s.value);
        break;
      case RUNNING:
        acc.requestsRunning = add(acc.requestsRunning, s.value);
        break;
      case `${LATENCY}_bucket`: {
        const le = s.labels.le;
        if (le !== undefined) acc.buckets.set(le, add(acc.buckets.get(le), s.value));
        break;
      }
      case `${LATENCY}_sum`:
        acc.latencySumSeconds = add(acc.latencySumSeconds, s.value);
        break;
      case `${LATENCY}_count`:
        acc.latencyCount = add(acc.latencyCount, s.value);
        break;
    }
  }
  const readings: InferenceReading[] = [];
  for (const [model, acc] of models) {
    const reading: InferenceReading = { time, server, model };
    if (acc.promptTokensTotal !== undefined) reading.promptTokensTotal = acc.promptTokensTotal;
    if (acc.generationTokensTotal !== undefined) reading.generationTokensTotal = acc.generationTokensTotal;
    if (acc.requestsRunning !== undefined) reading.requestsRunning = acc.requestsRunning;
    if (acc.buckets.size > 0) {
      const buckets: LatencyBucket[] = [...acc.buckets.entries()]
        .map(([le, count]) => ({ le, count }))
        .sort((a, b) => leOrder(a.le) - leOrder(b.le));
      reading.latencyBuckets = buckets;
    }
    if (acc.latencySumSeconds !== undefined) reading.latencySumSeconds = acc.latencySumSeconds;
    if (acc.latencyCount !== undefined) reading.latencyCount = acc.latencyCount;
    readings.push(reading);
  }
  return readings.sort((a, b) => a.model.localeCompare(b.model));
}
