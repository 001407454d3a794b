import { describe, expect, it } from 'vitest';
import { focusRecord } from '../../../test/support/focus.js';
import type { GpuHour, HostHour } from '../measurements/host-hours.js';
import { UnitEconomicsFold } from './unit-economics.js';
import { MAX_POD_ROWS, OTHER_PODS } from './row-accumulator.js';
import { JobEpochs } from './workload-costs.js';

const DAY = Date.parse('2026-11-02T00:00:00Z');
const HOUR = 3_600_000;

/**
 * One p5.48xlarge (8 H100) for 24 hours at $1,320.48, so $6.8775 per paid GPU-hour:
 * - GPUs 0-3: pod train/llama-ft-0 of job ft-42, 90% SM active, reporting epoch ⌊hour / 6⌋ (0 to 3);
 * - GPUs 4-5: pod research/notebook-ana, idle with its memory held the whole day;
 * - GPU 6: no workload named, idle with memory held; GPU 7: no workload, truly idle.
 */
function hostHour(h: number): HostHour {
  const epoch = Math.floor(h / 6);
  const gpu = (i: number): GpuHour => {
    if (i < 4) {
      return {
        uuid: `GPU-${i}`,
        model: 'H100',
        observedGpuHours: 1,
        effectiveGpuHours: 0.9,
        smActive: 0.9,
        idleHeldGpuHours: 0,
        workloads: [
          {
            namespace: 'train',
            pod: 'llama-ft-0',
            container: 'trainer',
            job: 'ft-42',
            observedGpuHours: 1,
            effectiveGpuHours: 0.9,
            idleHeldGpuHours: 0,
            epochMin: epoch,
            epochMax: epoch,
          },
        ],
      };
    }
    if (i < 6) {
      return {
        uuid: `GPU-${i}`,
        model: 'H100',
        observedGpuHours: 1,
        effectiveGpuHours: 0,
        smActive: 0,
        idleHeldGpuHours: 1,
        workloads: [{ namespace: 'research', pod: 'notebook-ana', observedGpuHours: 1, effectiveGpuHours: 0, idleHeldGpuHours: 1 }],
      };
    }
    return { uuid: `GPU-${i}`, model: 'H100', observedGpuHours: 1, effectiveGpuHours: 0, smActive: 0, idleHeldGpuHours: i === 6 ? 1 : 0 };
  };
  return {
    hostId: 'gpu-host-1',
    hour: DAY + h * HOUR,
    pool: 'train-h100',
    instanceId: 'i-0a1b2c3d4e5f60001',
    instanceType: 'p5.48xlarge',
    provider: 'aws',
    region: 'us-east-1',
    gpus: Array.from({ length: 8 }, (_, i) => gpu(i)),
    observedGpuHours: 8,
    effectiveGpuHours: 3.6,
    idleHeldGpuHours: 3,
    energyKwh: 4,
    inference: {},
  };
}

function scenario() {
  const fold = new UnitEconomicsFold({ from: DAY, to: DAY + 24 * HOUR }, { teamTag: 'team' });
  for (let h = 0; h < 24; h++) fold.addHostHour(hostHour(h));
  fold.addCost(
    focusRecord({
      ResourceId: 'i-0a1b2c3d4e5f60001',
      EffectiveCost: '1320.48',
      BilledCost: '1320.48',
      ConsumedQuantity: '24',
      ConsumedUnit: 'Hrs',
      x_GpuCount: 8,
      Tags: { team: 'ml' },
    }),
  );
  return fold.result();
}

const rowOf = (rows: ReturnType<typeof scenario>['rows'], kind: string, scope: string) =>
  rows.find((r) => r.period === 'day' && r.scopeKind === kind && r.scope === scope)!;

describe('workload unit economics', () => {
  it('a pod, its namespace and its job take the host cost by the GPU-hours they used, to the cent', () => {
    const { rows } = scenario();
    for (const [kind, scope] of [
      ['pod', 'train/llama-ft-0'],
      ['namespace', 'train'],
      ['job', 'ft-42'],
    ] as const) {
      const r = rowOf(rows, kind, scope);
      // 96 of 192 paid GPU-hours: 1320.48 × 96/192 = 660.24; idle 660.24 × (1 − 86.4/96) = 66.024
      expect([r.paidGpuHours, r.effectiveGpuHours, r.cost, r.idleCost, r.idleHeldCost]).toEqual([96, 86.4, '660.24', '66.024', '0']);
      // 660.24 / 86.4 = 7.6416666…
      expect(r.costPerEffectiveGpuHour).toBe('7.641667');
      expect(r.effectiveUtilization).toBeCloseTo(0.9, 9);
    }
    // ⌊23 / 6⌋ − ⌊0 / 6⌋ = 3 epochs that day: 660.24 / 3 = 220.08 per epoch
    expect(rowOf(rows, 'job', 'ft-42')).toMatchObject({ epochs: 3, costPerEpoch: '220.08' });
    expect(rowOf(rows, 'pod', 'train/llama-ft-0')).toMatchObject({ epochs: null, costPerEpoch: null });
  });

  it('a notebook holding two GPUs idle: its whole share is idle-held cost; the host shows all three idle-held GPUs', () => {
    const { rows } = scenario();
    const notebook = rowOf(rows, 'pod', 'research/notebook-ana');
    // 48 GPU-hours × $6.8775 = 330.12, all of it idle and idle-held
    expect([notebook.paidGpuHours, notebook.cost, notebook.idleCost, notebook.idleHeldGpuHours, notebook.idleHeldCost]).toEqual([
      48,
      '330.12',
      '330.12',
      48,
      '330.12',
    ]);
    const host = rowOf(rows, 'host', 'gpu-host-1');
    // 72 idle-held of 192 paid: 1320.48 × 72/192 = 495.18; idle 1320.48 × (1 − 86.4/192) = 726.264
    expect([host.idleHeldGpuHours, host.idleHeldCost, host.idleCost]).toEqual([72, '495.18', '726.264']);
    expect(rowOf(rows, 'pool', 'train-h100').idleHeldCost).toBe('495.18');
    expect(rowOf(rows, 'fleet', '*').idleHeldGpuHours).toBe(72);
  });

  it('observes the workloads that held GPUs idle, largest idle-held cost first, with the host GPUs no workload named', () => {
    const { workloads } = scenario();
    expect(workloads.map((w) => [w.kind, w.scope, w.observedGpuHours, w.idleHeldGpuHours, w.cost, w.idleHeldCost])).toEqual([
      ['pod', 'research/notebook-ana', 48, 48, '330.12', '330.12'],
      // GPUs 6 and 7: 48 GPU-hours ($330.12), 24 of them idle-held ($165.06)
      ['host', 'gpu-host-1', 48, 24, '330.12', '165.06'],
    ]);
    expect(workloads[0]).toMatchObject({
      namespace: 'research',
      pod: 'notebook-ana',
      job: null,
      pool: 'train-h100',
      team: 'ml',
      hosts: ['gpu-host-1'],
      gpus: 2,
      firstSeen: '2026-11-02T00:00:00.000Z',
      lastSeen: '2026-11-02T23:00:00.000Z',
      windowEnd: '2026-11-03T00:00:00.000Z',
    });
  });

  it(`keeps the ${MAX_POD_ROWS} costliest pods of a day and sums the others under ${OTHER_PODS}`, () => {
    const fold = new UnitEconomicsFold({ from: DAY, to: DAY + 24 * HOUR }, { teamTag: 'team' });
    // 60 GPUs, pod-i on GPU i for (i + 1)/60 of the hour: 30.5 GPU-hours in all, at $610 that is $20 a GPU-hour.
    const gpus: GpuHour[] = Array.from({ length: 60 }, (_, i) => ({
      uuid: `GPU-${i}`,
      model: 'H100',
      observedGpuHours: (i + 1) / 60,
      effectiveGpuHours: 0,
      smActive: 0,
      workloads: [
        {
          namespace: 'ns',
          pod: `pod-${String(i).padStart(2, '0')}`,
          observedGpuHours: (i + 1) / 60,
          effectiveGpuHours: 0,
          idleHeldGpuHours: 0,
        },
      ],
    }));
    fold.addHostHour({ ...hostHour(0), gpus, observedGpuHours: 30.5, effectiveGpuHours: 0, idleHeldGpuHours: 0 });
    fold.addCost(focusRecord({ ResourceId: 'i-0a1b2c3d4e5f60001', EffectiveCost: '610', BilledCost: '610' }));
    const pods = fold.result().rows.filter((r) => r.scopeKind === 'pod');
    expect(pods).toHaveLength(MAX_POD_ROWS + 1);
    expect(pods[0]).toMatchObject({ scope: 'ns/pod-59', cost: '20' }); // 20 × 60/60
    // pods 0..9: 20 × (1 + … + 10)/60 = 55/3 = 18.333333…
    const other = pods.find((r) => r.scope === OTHER_PODS)!;
    expect(Number(other.cost)).toBeCloseTo(55 / 3, 5);
    expect(other.paidGpuHours).toBe(0.916667); // 55/60 to six places
    expect(pods.some((r) => r.scope === 'ns/pod-09')).toBe(false);
    expect(pods.some((r) => r.scope === 'ns/pod-10')).toBe(true);
  });
});

describe('job epochs', () => {
  it('counts the epochs completed each day from the counts the job reported', () => {
    const epochs = new JobEpochs();
    epochs.add('ft-42', DAY, 0, 3);
    epochs.add('ft-42', DAY + 24 * HOUR, 3, 7);
    epochs.add('ft-42', DAY + 48 * HOUR, 0, 2); // restarted from 0: nothing gained beyond day 2's 7
    expect([DAY, DAY + 24 * HOUR, DAY + 48 * HOUR, DAY + 72 * HOUR].map((d) => epochs.epochs('ft-42', d))).toEqual([3, 4, 0, null]);
    expect(epochs.epochs('unknown', DAY)).toBeNull();
  });
});
