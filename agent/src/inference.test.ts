import { describe, expect, it } from 'vitest';
import { fixture } from './fixtures.test-support.js';
import { inferenceReadingsFromVllmText } from './inference.js';

describe('inferenceReadingsFromVllmText', () => {
  it('sums engines per model and keeps the latency histogram', () => {
    const readings = inferenceReadingsFromVllmText(
      fixture('vllm-metrics.prom'),
      'http://127.0.0.1:8000/metrics',
      '2026-11-23T10:00:00.000Z',
    );
    expect(readings).toEqual([
      {
        time: '2026-11-23T10:00:00.000Z',
        server: 'http://127.0.0.1:8000/metrics',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        promptTokensTotal: 12873911 + 11904553,
        generationTokensTotal: 3402117 + 3115871,
        requestsRunning: 12,
        latencyBuckets: [
          { le: '0.3', count: 210 },
          { le: '0.5', count: 911 },
          { le: '1.0', count: 4214 },
          { le: '2.5', count: 17552 },
          { le: '5.0', count: 23214 },
          { le: '10.0', count: 24820 },
          { le: '+Inf', count: 24878 },
        ],
        latencySumSeconds: 41873.52 + 38120.14,
        latencyCount: 24878,
      },
    ]);
  });

  it('returns nothing for a page without vLLM metrics', () => {
    expect(inferenceReadingsFromVllmText('# nothing\nprocess_cpu_seconds_total 3\n', 's', 't')).toEqual([]);
  });
});
