import { describe, expect, it } from 'vitest';
import { gpuReadingsFromDcgmText } from './dcgm-exporter.js';
import { isDcgmBlank, usableReading } from './dcgm-fields.js';
import { fixture } from './fixtures.test-support.js';

describe('DCGM blank sentinels', () => {
  it('recognises the INT32, INT64 and FP64 families', () => {
    for (const v of [0x7ffffff0, 0x7ffffff1, 0x7ffffff2, 0x7ffffff3]) expect(isDcgmBlank(v, String(v))).toBe(true);
    expect(isDcgmBlank(Number('9223372036854775792'), '9223372036854775792')).toBe(true);
    expect(isDcgmBlank(Number('9223372036854775795'), '9223372036854775795')).toBe(true);
    expect(isDcgmBlank(140737488355328, '140737488355328.000000')).toBe(true);
    expect(isDcgmBlank(140737488355331, '140737488355331.000000')).toBe(true);
    expect(isDcgmBlank(2e15, '2000000000000000.000000')).toBe(true);
  });
  it('keeps real readings, including large integer counters', () => {
    expect(isDcgmBlank(0x7ffffff4, '2147483636')).toBe(false);
    expect(isDcgmBlank(412938177215, '412938177215')).toBe(false);
    expect(isDcgmBlank(2e15, '2000000000000000')).toBe(false);
    expect(usableReading(0.5, '0.500000')).toBe(true);
    expect(usableReading(-1, '-1')).toBe(false);
    expect(usableReading(Number.NaN, 'NaN')).toBe(false);
  });
});

describe('gpuReadingsFromDcgmText on the fixtures', () => {
  it('H100 x8: one reading per GPU with the profiling fields', () => {
    const { gpus, noReading } = gpuReadingsFromDcgmText(fixture('dcgm-exporter-h100-80gb-hbm3-x8.prom'));
    expect(noReading).toBe(0);
    expect(gpus).toHaveLength(8);
    const g0 = gpus[0]!;
    expect(g0.index).toBe(0);
    expect(g0.uuid).toBe('GPU-3f1a9c2e-7b4d-5e86-a0c1-2d9e8f7b6a51');
    expect(g0.model).toBe('NVIDIA H100 80GB HBM3');
    expect(g0.fields).toMatchObject({
      DCGM_FI_PROF_SM_ACTIVE: 0.912344,
      DCGM_FI_PROF_GR_ENGINE_ACTIVE: 0.955117,
      DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: 0.62154,
      DCGM_FI_DEV_GPU_UTIL: 97,
      DCGM_FI_DEV_POWER_USAGE: 688.21,
      DCGM_FI_DEV_FB_USED: 74812,
      DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 412938177215,
    });
    expect(Object.keys(g0.fields)).toHaveLength(27);
    expect(gpus[7]!.fields.DCGM_FI_DEV_XID_ERRORS).toBe(79);
    // The driver-version label is a label, not a field.
    expect(Object.keys(g0.fields).some((f) => f === 'DCGM_FI_DRIVER_VERSION')).toBe(false);
  });

  it('A100 with MIG: one reading per GPU instance, parent index, instance in uuid and model', () => {
    const { gpus } = gpuReadingsFromDcgmText(fixture('dcgm-exporter-a100-sxm4-40gb-mig.prom'));
    expect(gpus.map((g) => g.mig)).toEqual([
      { parentUuid: 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b', gpuInstanceId: 1 },
      { parentUuid: 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b', gpuInstanceId: 2 },
      undefined,
    ]);
    expect(gpus.map((g) => [g.index, g.uuid, g.model])).toEqual([
      [0, 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b/gi1', 'NVIDIA A100-SXM4-40GB MIG 3g.20gb'],
      [0, 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b/gi2', 'NVIDIA A100-SXM4-40GB MIG 3g.20gb'],
      [1, 'GPU-6b5a4c3d-2e1f-0a9b-8c7d-6e5f4a3b2c1d', 'NVIDIA A100-SXM4-40GB'],
    ]);
    expect(gpus[0]!.fields).toMatchObject({ DCGM_FI_PROF_SM_ACTIVE: 0.812775, DCGM_FI_DEV_FB_USED: 15201 });
    expect(gpus[1]!.fields).toMatchObject({ DCGM_FI_PROF_SM_ACTIVE: 0, DCGM_FI_DEV_FB_USED: 52 });
    expect(gpus[0]!.fields).not.toHaveProperty('DCGM_FI_DEV_GPU_UTIL');
  });

  it('L4 from an old exporter that prints blanks: blanks are left out, never sent as numbers', () => {
    const { gpus, noReading } = gpuReadingsFromDcgmText(fixture('dcgm-exporter-l4-legacy-blanks.prom'));
    expect(noReading).toBe(7);
    expect(gpus).toHaveLength(2);
    expect(gpus[0]!.model).toBe('unknown');
    expect(gpus[0]!.fields).toEqual({
      DCGM_FI_DEV_SM_CLOCK: 2040,
      DCGM_FI_DEV_MEM_CLOCK: 6250,
      DCGM_FI_DEV_GPU_TEMP: 67,
      DCGM_FI_DEV_POWER_USAGE: 68.31,
      DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 31870554210,
      DCGM_FI_DEV_GPU_UTIL: 76,
      DCGM_FI_DEV_FB_FREE: 2924,
      DCGM_FI_DEV_FB_USED: 20110,
      DCGM_FI_PROF_SM_ACTIVE: 0.734012,
    });
    expect(gpus[1]!.fields).toEqual({
      DCGM_FI_DEV_SM_CLOCK: 2040,
      DCGM_FI_DEV_MEM_CLOCK: 6250,
      DCGM_FI_DEV_GPU_TEMP: 66,
      DCGM_FI_DEV_FB_FREE: 2936,
      DCGM_FI_DEV_FB_USED: 20098,
      DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 0,
      DCGM_FI_PROF_SM_ACTIVE: 0.701556,
      DCGM_FI_PROF_PIPE_TENSOR_ACTIVE: 0.2104,
    });
  });

  it('A10G under Kubernetes pod mapping: the pod labels become the workload', () => {
    const { gpus } = gpuReadingsFromDcgmText(fixture('dcgm-exporter-a10g-kubernetes.prom'));
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toMatchObject({ index: 0, uuid: 'GPU-f1a2b3c4-d5e6-f7a8-b9c0-d1e2f3a4b5c6', model: 'NVIDIA A10G' });
    expect(gpus[0]!.workload).toEqual({ namespace: 'inference', pod: 'vllm-llama-7d9f8c6b5-x2q4z', container: 'vllm' });
    expect(gpus[0]!.fields).toMatchObject({ DCGM_FI_PROF_SM_ACTIVE: 0.281145, DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: 5123998712 });
  });

  it('T4 with the old lowercase uuid label and no profiling fields', () => {
    const { gpus } = gpuReadingsFromDcgmText(fixture('dcgm-exporter-t4-no-profiling.prom'));
    expect(gpus).toHaveLength(1);
    expect(gpus[0]!.uuid).toBe('GPU-a2b3c4d5-e6f7-a8b9-c0d1-e2f3a4b5c6d7');
    expect(gpus[0]!.model).toBe('Tesla T4');
    expect(gpus[0]!.fields).not.toHaveProperty('DCGM_FI_PROF_SM_ACTIVE');
    expect(gpus[0]!.fields).toMatchObject({ DCGM_FI_DEV_GPU_UTIL: 61, DCGM_FI_DEV_XID_ERRORS: 0 });
  });

  it('ignores NVLink/NVSwitch entities, series without gpu/UUID, negative values; keeps the first of repeated series', () => {
    const text = [
      'DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL{nvlink="0",gpu="0",gpu_uuid="GPU-a"} 5',
      'DCGM_FI_DEV_NVSWITCH_TEMPERATURE_CURRENT{nvswitch="0",Hostname="h"} 40',
      'DCGM_FI_DEV_GPU_TEMP{UUID="GPU-a"} 40',
      'DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a",pod="p1"} 41',
      'DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a",pod="p2"} 42',
      'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-a"} -5',
      'DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a"} NaN',
      'dcgm_lowercase{gpu="0",UUID="GPU-a"} 1',
    ].join('\n');
    const { gpus, noReading } = gpuReadingsFromDcgmText(text);
    expect(gpus).toEqual([{ index: 0, uuid: 'GPU-a', model: 'unknown', fields: { DCGM_FI_DEV_GPU_TEMP: 41 }, workload: { pod: 'p1' } }]);
    expect(noReading).toBe(2);
  });
});
