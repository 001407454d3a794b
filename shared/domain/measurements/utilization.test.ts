import { describe, expect, it } from 'vitest';
import { foldBatch, type HostMinute } from './rollup.js';
import { summarizeUtilization } from './utilization.js';

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const HOUR = 3_600_000;

/** `gpus` GPUs for `minutes` minutes, one sample a minute with the given fields. */
function rollups(
  minutes: number,
  gpus: number,
  fields: (minute: number, gpu: number) => Record<string, number>,
  hostId = 'host-a',
): HostMinute[] {
  const samples = [];
  for (let m = 0; m < minutes; m++) {
    for (let g = 0; g < gpus; g++)
      samples.push({ time: T0 + m * 60_000 + 5_000, gpu: { index: g, uuid: `${hostId}-GPU-${g}`, model: 'H100' }, fields: fields(m, g) });
  }
  return foldBatch({ batchId: 'x', host: { hostId, pool: 'p1', instanceId: 'i-1' }, samples }).minutes;
}

describe('effective GPU-hours', () => {
  it('uses SM active when present: 8 GPUs for 24 h at 0.4 give 192 paid and 76.8 effective GPU-hours', () => {
    const report = summarizeUtilization(
      rollups(24 * 60, 8, () => ({ DCGM_FI_PROF_SM_ACTIVE: 0.4, DCGM_FI_DEV_GPU_UTIL: 100 })),
      {
        from: T0,
        to: T0 + 24 * HOUR,
        step: '1d',
      },
    );
    expect(report.totals.observedGpuHours).toBe(192);
    expect(report.totals.effectiveGpuHours).toBe(76.8);
    expect(report.totals.effectiveUtilization).toBe(0.4);
    expect(report.totals.basis).toBe('sm_active');
    expect(report.totals.meanGpuUtil).toBe(100);
    expect(report.totals.gpus).toBe(8);
    expect(report.series).toHaveLength(1);
    expect(report.hosts[0]!.gpus[3]!.effectiveGpuHours).toBe(9.6);
  });

  it('falls back to graphics-engine active when profiling SM fields are absent', () => {
    const report = summarizeUtilization(
      rollups(60, 2, () => ({ DCGM_FI_PROF_GR_ENGINE_ACTIVE: 0.25, DCGM_FI_DEV_GPU_UTIL: 90 })),
      {
        from: T0,
        to: T0 + HOUR,
        step: '1h',
      },
    );
    expect(report.totals.observedGpuHours).toBe(2);
    expect(report.totals.effectiveGpuHours).toBe(0.5);
    expect(report.totals.basis).toBe('gr_engine_active');
    expect(report.totals.meanSmActive).toBeNull();
  });

  it('uses GPU utilization only as the last resort and says so', () => {
    const report = summarizeUtilization(
      rollups(60, 1, () => ({ DCGM_FI_DEV_GPU_UTIL: 75 })),
      { from: T0, to: T0 + HOUR, step: '1h' },
    );
    expect(report.totals.effectiveGpuHours).toBe(0.75);
    expect(report.totals.basis).toBe('gpu_util');
    expect(report.totals.basisMinutes).toEqual({ sm_active: 0, gr_engine_active: 0, gpu_util: 60 });
  });

  it('reports mixed when GPU-minutes used different bases, per minute', () => {
    const report = summarizeUtilization(
      rollups(60, 1, (m): Record<string, number> => (m < 30 ? { DCGM_FI_PROF_SM_ACTIVE: 0.8 } : { DCGM_FI_DEV_GPU_UTIL: 40 })),
      { from: T0, to: T0 + HOUR, step: '1h' },
    );
    expect(report.totals.basis).toBe('mixed');
    expect(report.totals.basisMinutes).toEqual({ sm_active: 30, gr_engine_active: 0, gpu_util: 30 });
    expect(report.totals.effectiveGpuHours).toBe(0.6); // (30 * 0.8 + 30 * 0.4) / 60
  });

  it('counts a GPU-minute with no utilization field as paid but not effective', () => {
    const report = summarizeUtilization(
      rollups(60, 1, () => ({ DCGM_FI_DEV_POWER_USAGE: 100 })),
      { from: T0, to: T0 + HOUR, step: '1h' },
    );
    expect(report.totals.observedGpuHours).toBe(1);
    expect(report.totals.effectiveGpuHours).toBe(0);
    expect(report.totals.basis).toBe('none');
  });
});

describe('power and energy', () => {
  it('integrates mean power when there is no energy counter: 400 W for 1 h is 0.4 kWh', () => {
    const report = summarizeUtilization(
      rollups(60, 1, () => ({ DCGM_FI_DEV_POWER_USAGE: 400 })),
      { from: T0, to: T0 + HOUR, step: '1h' },
    );
    expect(report.totals.averagePowerW).toBe(400);
    expect(report.totals.energyKWh).toBe(0.4);
  });

  it('prefers the energy counter, bridging minutes and surviving a reset', () => {
    // 500 W = 30,000,000 mJ a minute. Counter restarts (driver reload) at minute 30, reading 0 there.
    const perMinute = 30_000_000;
    const report = summarizeUtilization(
      rollups(60, 1, (m) => ({
        DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: m < 30 ? 1e9 + m * perMinute : (m - 30) * perMinute,
        DCGM_FI_DEV_POWER_USAGE: 123, // ignored while the counter is there
      })),
      { from: T0, to: T0 + HOUR, step: '1h' },
    );
    // 59 steps between 60 readings; the step into the reset counts the new reading (0).
    expect(report.totals.energyKWh).toBe(0.483333); // 58 x 30,000 J = 1,740,000 J
  });
});

describe('grouping and series', () => {
  it('groups by host and GPU, buckets by step and honours the window', () => {
    const all = [
      ...rollups(120, 2, () => ({ DCGM_FI_PROF_SM_ACTIVE: 0.5 }), 'host-a'),
      ...rollups(120, 1, () => ({ DCGM_FI_PROF_SM_ACTIVE: 1 }), 'host-b'),
    ];
    const report = summarizeUtilization(all, { from: T0 + HOUR, to: T0 + 2 * HOUR, step: '1m' });
    expect(report.hosts.map((h) => [h.hostId, h.gpus.length, h.totals.observedGpuHours, h.totals.effectiveGpuHours])).toEqual([
      ['host-a', 2, 2, 1],
      ['host-b', 1, 1, 1],
    ]);
    expect(report.series).toHaveLength(60);
    expect(report.series[0]).toMatchObject({
      start: new Date(T0 + HOUR).toISOString(),
      observedGpuHours: 0.05,
      effectiveGpuHours: 0.033333,
    });
    expect(report.totals.effectiveUtilization).toBeCloseTo(2 / 3, 6);
    expect(report.hosts[0]!.instanceId).toBe('i-1');
  });
});

describe('tokens served by inference servers', () => {
  it('counts counter increases across minutes and a server restart, per host and in total', () => {
    const at = (m: number) => new Date(T0 + m * 60_000 + 1000).toISOString();
    const readings = [
      {
        time: at(0),
        server: 'http://127.0.0.1:8000/metrics',
        model: 'llama',
        promptTokensTotal: 1000,
        generationTokensTotal: 500,
        latencyCount: 10,
        latencySumSeconds: 20,
      },
      {
        time: at(1),
        server: 'http://127.0.0.1:8000/metrics',
        model: 'llama',
        promptTokensTotal: 4000,
        generationTokensTotal: 1500,
        latencyCount: 20,
        latencySumSeconds: 40,
      },
      // The server restarted: counters begin again at zero.
      {
        time: at(2),
        server: 'http://127.0.0.1:8000/metrics',
        model: 'llama',
        promptTokensTotal: 600,
        generationTokensTotal: 100,
        latencyCount: 2,
        latencySumSeconds: 1,
      },
    ];
    const folded = foldBatch({
      batchId: 'inf',
      host: { hostId: 'host-i' },
      samples: [0, 1, 2].map((m) => ({
        time: T0 + m * 60_000,
        gpu: { index: 0, uuid: 'G', model: 'H100' },
        fields: { DCGM_FI_PROF_SM_ACTIVE: 0.5 },
      })),
      inference: readings,
    });
    const report = summarizeUtilization(folded.minutes, { from: T0, to: T0 + HOUR, step: '1h' });
    // prompt: +3000, then restart +600; generation: +1000, +100; requests: +10, +2; latency: +20 s, +1 s
    expect(report.hosts[0]!.inference).toEqual({ promptTokens: 3600, generationTokens: 1100, requests: 12, meanLatencySeconds: 1.75 });
    expect(report.totals.inference).toEqual(report.hosts[0]!.inference);
  });

  it('reports no inference for hosts without a scraped server', () => {
    const report = summarizeUtilization(
      rollups(5, 1, () => ({ DCGM_FI_PROF_SM_ACTIVE: 0.5 })),
      { from: T0, to: T0 + HOUR, step: '1h' },
    );
    expect(report.hosts[0]!.inference).toBeNull();
    expect(report.totals.inference).toBeNull();
  });
});
