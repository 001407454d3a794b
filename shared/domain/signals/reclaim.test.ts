import { describe, expect, it } from 'vitest';
import { digestModel } from '../../../test/support/digest.js';
import { renderDigestHtml, renderDigestSlack } from '../digest/digest-render.js';
import type { WorkloadObservation } from '../economics/fleet-observations.js';
import { defaultSignalSettings } from './signals.js';
import { reclaimSignals } from './reclaim.js';

/** A notebook pod that held 2 H100s idle for the last 24 hours of a 30-day window: 48 idle-held GPU-hours, $330.12. */
function notebook(overrides: Partial<WorkloadObservation> = {}): WorkloadObservation {
  return {
    kind: 'pod',
    scope: 'research/notebook-ana',
    namespace: 'research',
    pod: 'notebook-ana',
    job: null,
    pool: 'train-h100',
    team: 'ml',
    hosts: ['gpu-host-1'],
    gpus: 2,
    firstSeen: '2026-11-30T00:00:00.000Z',
    lastSeen: '2026-11-30T23:00:00.000Z',
    windowEnd: '2026-12-01T00:00:00.000Z',
    observedGpuHours: 48,
    effectiveGpuHours: 0,
    idleHeldGpuHours: 48,
    cost: '330.12',
    idleHeldCost: '330.12',
    ...overrides,
  };
}

describe('reclaim signal', () => {
  it('a pod holding 2 GPUs idle for a day: $330.12 over 24 hours is $10,041.15 a month', () => {
    const [signal, ...rest] = reclaimSignals([notebook()], defaultSignalSettings);
    expect(rest).toEqual([]);
    // 330.12 × 730 / 24 = 10041.15
    expect(signal).toMatchObject({
      type: 'reclaim',
      title: 'Reclaim 2 GPUs held idle by pod research/notebook-ana',
      subject: 'pod research/notebook-ana on host gpu-host-1 in pool train-h100',
      monthlyImpact: '10041.15',
      confidence: 1,
      team: 'ml',
    });
    expect(signal!.summary).toBe(
      'Pod research/notebook-ana on host gpu-host-1 in pool train-h100 kept GPU memory in use while doing nothing for 100.0% of its 48 GPU-hours ' +
        '(48 idle-held GPU-hours, $330.12). Releasing what it holds would save about $10,041.15 a month.',
    );
    expect(signal!.evidence).toMatchObject({
      idleHeldShare: 1,
      hoursSeen: 24,
      averageGpusHeldIdle: 2,
      idleActivityCeiling: 0.01,
      memoryHeldFloorMiB: 1024,
    });
  });

  it('host GPUs no workload named, half of them idle-held: confidence 0.8', () => {
    const [signal] = reclaimSignals(
      [
        notebook({
          kind: 'host',
          scope: 'gpu-host-1',
          namespace: null,
          pod: null,
          observedGpuHours: 48,
          idleHeldGpuHours: 24,
          cost: '330.12',
          idleHeldCost: '165.06',
        }),
      ],
      defaultSignalSettings,
    );
    // 165.06 × 730 / 24 = 5020.575, to the cent 5020.58 (half away from zero and half to even agree here)
    expect(signal).toMatchObject({
      title: 'Reclaim 1 GPU held idle by GPUs on host gpu-host-1 that no workload named',
      confidence: 0.8,
      monthlyImpact: '5020.58',
    });
  });

  it('raises nothing below the share, below 8 idle-held GPU-hours, for a workload gone before the last day, or without cost', () => {
    const settings = defaultSignalSettings;
    expect(reclaimSignals([notebook({ idleHeldGpuHours: 23.9, idleHeldCost: '164' })], settings)).toEqual([]); // 49.8% of 48
    expect(reclaimSignals([notebook({ observedGpuHours: 7.5, idleHeldGpuHours: 7.5 })], settings)).toEqual([]);
    expect(reclaimSignals([notebook({ lastSeen: '2026-11-28T23:00:00.000Z' })], settings)).toEqual([]);
    expect(reclaimSignals([notebook({ cost: '0', idleHeldCost: '0' })], settings)).toEqual([]);
  });
});

describe('reclaim signal with a name from the workload', () => {
  it('carries the untrusted pod name as text, escaped in the digest HTML and in Slack mrkdwn', () => {
    const hostile = '<img src=x onerror=alert(1)>&<!channel>';
    const [raised] = reclaimSignals([notebook({ scope: `research/${hostile}`, pod: hostile })], defaultSignalSettings);
    expect(raised!.title).toBe(`Reclaim 2 GPUs held idle by pod research/${hostile}`);
    const view = { ...raised!, firstRaisedAt: '2026-12-01T00:15:00.000Z', updatedAt: '2026-12-01T00:15:00.000Z' };
    const html = renderDigestHtml(digestModel({ signals: [view] }), { chartSrc: 'x.png' });
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('research/&lt;img src=x onerror=alert(1)&gt;&amp;&lt;!channel&gt;');
    const slack = JSON.stringify(renderDigestSlack(digestModel({ signals: [view] })));
    expect(slack).not.toContain('<!channel>');
    expect(slack).toContain('&lt;!channel&gt;');
  });
});
