import { describe, expect, it } from 'vitest';
import { fixture } from './fixtures.test-support.js';
import { migInstancesFrom, parseMigDeviceTable, parseNvidiaSmiList } from './mig.js';

describe('nvidia-smi -L', () => {
  it('lists GPUs and the MIG devices under each, by MIG device index', () => {
    const list = parseNvidiaSmiList(fixture('nvidia-smi-L-a100-sxm4-40gb-mig.txt'));
    expect(list.gpus).toEqual([
      { index: 0, model: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b' },
      { index: 1, model: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-6b5a4c3d-2e1f-0a9b-8c7d-6e5f4a3b2c1d' },
    ]);
    expect(list.migDevices).toEqual([
      {
        gpu: 0,
        parentUuid: 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b',
        profile: '3g.20gb',
        device: 0,
        uuid: 'MIG-0d3a5e6f-7b8c-5d9e-8f0a-1b2c3d4e5f60',
      },
      {
        gpu: 0,
        parentUuid: 'GPU-4e1f0a2b-9c8d-7e6f-5a4b-3c2d1e0f9a8b',
        profile: '3g.20gb',
        device: 1,
        uuid: 'MIG-9f8e7d6c-5b4a-5392-8170-6f5e4d3c2b1a',
      },
    ]);
  });

  it('a host without MIG has no MIG devices', () => {
    const list = parseNvidiaSmiList('GPU 0: NVIDIA H200 (UUID: GPU-7c2e9a41-5d3b-4f86-b0a2-9e1d3c5f7a28)\n');
    expect(list.gpus).toHaveLength(1);
    expect(list.migDevices).toEqual([]);
  });
});

describe('the MIG devices table of plain nvidia-smi', () => {
  it('535 layout: GPU, GI ID, CI ID, MIG Dev; the GPU table and the process table are not read', () => {
    expect(parseMigDeviceTable(fixture('nvidia-smi-a100-sxm4-40gb-mig-table.txt'))).toEqual([
      { gpu: 0, gpuInstanceId: 1, computeInstanceId: 0, device: 0 },
      { gpu: 0, gpuInstanceId: 2, computeInstanceId: 0, device: 1 },
    ]);
  });

  it('580 layout, where MIG device 0 is GPU instance 2', () => {
    expect(parseMigDeviceTable(fixture('nvidia-smi-h100-80gb-hbm3-mig-table.txt'))).toEqual([
      { gpu: 0, gpuInstanceId: 2, computeInstanceId: 0, device: 0 },
      { gpu: 0, gpuInstanceId: 1, computeInstanceId: 0, device: 1 },
    ]);
  });

  it('"No MIG devices found" and output without the section give no rows', () => {
    const none = [
      '| MIG devices:                                                                |',
      '|==================+======================+===========+=======================|',
      '|  No MIG devices found                                                       |',
    ].join('\n');
    expect(parseMigDeviceTable(none)).toEqual([]);
    expect(parseMigDeviceTable('|  0    1   0   0  | outside the section |')).toEqual([]);
  });
});

describe('migInstancesFrom', () => {
  it('joins -L and the table on (GPU, MIG device): (parent UUID, GI) → MIG UUID and profile', () => {
    const instances = migInstancesFrom(
      parseNvidiaSmiList(fixture('nvidia-smi-L-h100-80gb-hbm3-mig.txt')),
      parseMigDeviceTable(fixture('nvidia-smi-h100-80gb-hbm3-mig-table.txt')),
    );
    expect(Object.fromEntries(instances)).toEqual({
      'GPU-9b8d7c6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e|2': { uuid: 'MIG-2f6e1a9c-4b7d-5c3e-8a1f-0d9c8b7a6e5f', profile: '3g.40gb' },
      'GPU-9b8d7c6e-5f4a-4b3c-9d2e-1f0a9b8c7d6e|1': { uuid: 'MIG-c4d3e2f1-a0b9-5c8d-9e7f-6a5b4c3d2e1f', profile: '3g.40gb' },
    });
  });

  it('a GPU instance split into two compute instances has no single UUID: left out', () => {
    const list = parseNvidiaSmiList(
      [
        'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-a)',
        '  MIG 1c.3g.20gb   Device  0: (UUID: MIG-x)',
        '  MIG 2c.3g.20gb   Device  1: (UUID: MIG-y)',
      ].join('\n'),
    );
    const table = [
      { gpu: 0, gpuInstanceId: 1, computeInstanceId: 0, device: 0 },
      { gpu: 0, gpuInstanceId: 1, computeInstanceId: 1, device: 1 },
    ];
    expect(migInstancesFrom(list, table).size).toBe(0);
  });
});
