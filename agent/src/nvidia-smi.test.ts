import { describe, expect, it } from 'vitest';
import { fixture } from './fixtures.test-support.js';
import { parseNvidiaSmiCsv, parseNvidiaSmiNumber } from './nvidia-smi.js';

describe('parseNvidiaSmiNumber', () => {
  it('reads plain numbers and numbers with units', () => {
    expect(parseNvidiaSmiNumber('688.21')).toBe(688.21);
    expect(parseNvidiaSmiNumber(' 34 %')).toBe(34);
    expect(parseNvidiaSmiNumber('9120 MiB')).toBe(9120);
    expect(parseNvidiaSmiNumber('112.35 W')).toBe(112.35);
    expect(parseNvidiaSmiNumber('1710 MHz')).toBe(1710);
  });
  it('treats every "no reading" spelling as absent', () => {
    for (const v of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '[GPU is lost]', '', 'Disabled']) {
      expect(parseNvidiaSmiNumber(v)).toBeUndefined();
    }
  });
});

describe('parseNvidiaSmiCsv on the fixtures', () => {
  it('H100 80GB HBM3 x8 (p5.48xlarge)', () => {
    const { gpus, skippedLines } = parseNvidiaSmiCsv(fixture('nvidia-smi-h100-80gb-hbm3-x8.csv'));
    expect(skippedLines).toEqual([]);
    expect(gpus).toHaveLength(8);
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(gpus[0]).toEqual({
      index: 0,
      uuid: 'GPU-3f1a9c2e-7b4d-5e86-a0c1-2d9e8f7b6a51',
      model: 'NVIDIA H100 80GB HBM3',
      fields: {
        DCGM_FI_DEV_GPU_UTIL: 97,
        DCGM_FI_DEV_FB_USED: 74812,
        DCGM_FI_DEV_FB_FREE: 81559 - 74812,
        DCGM_FI_DEV_POWER_USAGE: 688.21,
        DCGM_FI_DEV_GPU_TEMP: 64,
        DCGM_FI_DEV_SM_CLOCK: 1980,
        DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 0,
      },
    });
    expect(gpus[7]!.fields.DCGM_FI_DEV_ECC_DBE_VOL_TOTAL).toBe(2);
    expect(gpus[4]!.fields.DCGM_FI_DEV_GPU_UTIL).toBe(0);
  });

  it('A100-SXM4-40GB x8 (p4d.24xlarge)', () => {
    const { gpus } = parseNvidiaSmiCsv(fixture('nvidia-smi-a100-sxm4-40gb-x8.csv'));
    expect(gpus).toHaveLength(8);
    expect(gpus.every((g) => g.model === 'NVIDIA A100-SXM4-40GB')).toBe(true);
    expect(gpus[6]!.fields).toMatchObject({
      DCGM_FI_DEV_GPU_UTIL: 99,
      DCGM_FI_DEV_FB_USED: 39870,
      DCGM_FI_DEV_FB_FREE: 1090,
      DCGM_FI_DEV_POWER_USAGE: 398.75,
    });
  });

  it('L4 x4 (g6.12xlarge)', () => {
    const { gpus } = parseNvidiaSmiCsv(fixture('nvidia-smi-l4-x4.csv'));
    expect(gpus.map((g) => [g.index, g.model, g.fields.DCGM_FI_DEV_SM_CLOCK])).toEqual([
      [0, 'NVIDIA L4', 2040],
      [1, 'NVIDIA L4', 2040],
      [2, 'NVIDIA L4', 210],
      [3, 'NVIDIA L4', 210],
    ]);
    expect(gpus[2]!.fields.DCGM_FI_DEV_FB_FREE).toBe(23034);
  });

  it('A10G x1 without and with header and units give the same reading', () => {
    const plain = parseNvidiaSmiCsv(fixture('nvidia-smi-a10g-x1.csv'));
    const withUnits = parseNvidiaSmiCsv(fixture('nvidia-smi-a10g-x1-with-header-and-units.csv'));
    expect(withUnits.skippedLines).toEqual([]);
    expect(withUnits.gpus).toEqual(plain.gpus);
    expect(plain.gpus[0]!.fields).toEqual({
      DCGM_FI_DEV_GPU_UTIL: 34,
      DCGM_FI_DEV_FB_USED: 9120,
      DCGM_FI_DEV_FB_FREE: 13908,
      DCGM_FI_DEV_POWER_USAGE: 112.35,
      DCGM_FI_DEV_GPU_TEMP: 52,
      DCGM_FI_DEV_SM_CLOCK: 1710,
      DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 0,
    });
  });

  it('T4 with [N/A] and [Not Supported] leaves those fields out', () => {
    const t4 = parseNvidiaSmiCsv(fixture('nvidia-smi-t4-x1.csv')).gpus[0]!;
    expect(t4.model).toBe('Tesla T4');
    expect(t4.fields).not.toHaveProperty('DCGM_FI_DEV_ECC_DBE_VOL_TOTAL');
    expect(t4.fields.DCGM_FI_DEV_POWER_USAGE).toBe(44.72);
    const idle = parseNvidiaSmiCsv(fixture('nvidia-smi-t4-x1-not-supported.csv')).gpus[0]!;
    expect(idle.fields).toEqual({
      DCGM_FI_DEV_GPU_UTIL: 0,
      DCGM_FI_DEV_FB_USED: 0,
      DCGM_FI_DEV_FB_FREE: 15360,
      DCGM_FI_DEV_GPU_TEMP: 33,
      DCGM_FI_DEV_SM_CLOCK: 300,
    });
  });

  it('A100 in MIG mode: one sample per physical GPU, utilization absent', () => {
    const { gpus } = parseNvidiaSmiCsv(fixture('nvidia-smi-a100-sxm4-40gb-mig.csv'));
    expect(gpus).toHaveLength(2);
    expect(gpus[0]!.fields).not.toHaveProperty('DCGM_FI_DEV_GPU_UTIL');
    expect(gpus[0]!.fields.DCGM_FI_DEV_FB_USED).toBe(19843);
    expect(gpus[1]!.fields.DCGM_FI_DEV_GPU_UTIL).toBe(91);
  });

  it('a lost GPU: the driver message is skipped, the other rows are kept', () => {
    const { gpus, skippedLines } = parseNvidiaSmiCsv(fixture('nvidia-smi-h100-80gb-hbm3-gpu-lost.csv'));
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 3, 4, 5, 6, 7]);
    expect(skippedLines).toEqual(['Unable to determine the device handle for GPU 0000:53:00.0: Unknown Error']);
  });

  it('header in another column order maps by name', () => {
    const text = 'uuid, index, memory.total [MiB], memory.used [MiB], name\nGPU-x, 3, 100 MiB, 40 MiB, NVIDIA L4\n';
    const { gpus } = parseNvidiaSmiCsv(text);
    expect(gpus).toEqual([{ index: 3, uuid: 'GPU-x', model: 'NVIDIA L4', fields: { DCGM_FI_DEV_FB_USED: 40, DCGM_FI_DEV_FB_FREE: 60 } }]);
  });

  it('ignores empty output, "No devices were found" and rows without an index or uuid', () => {
    expect(parseNvidiaSmiCsv('').gpus).toEqual([]);
    const r = parseNvidiaSmiCsv('No devices were found\r\n[N/A], [N/A], x, 1, 1, 1, 1, 1, 1, 1\n');
    expect(r.gpus).toEqual([]);
    expect(r.skippedLines).toHaveLength(2);
  });

  it('never emits negative readings', () => {
    const { gpus } = parseNvidiaSmiCsv('0, GPU-a, NVIDIA L4, -1, 10, 5, -3.5, 40, 210, 0\n');
    expect(gpus[0]!.fields).toEqual({
      DCGM_FI_DEV_FB_USED: 10,
      DCGM_FI_DEV_GPU_TEMP: 40,
      DCGM_FI_DEV_SM_CLOCK: 210,
      DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 0,
    });
  });
});
