import { describe, expect, it } from 'vitest';
import { gcpGpuSkuFromDescription, gpuMachineType, gpuMachineTypes, gpuModelFromText } from './gpu-catalog.js';

describe('gpuMachineType', () => {
  it('knows the AWS GPU families', () => {
    const expected: Array<[string, string, number]> = [
      ['p4d.24xlarge', 'A100-40GB', 8],
      ['p4de.24xlarge', 'A100-80GB', 8],
      ['p5.48xlarge', 'H100', 8],
      ['p5e.48xlarge', 'H200', 8],
      ['p5en.48xlarge', 'H200', 8],
      ['p6-b200.48xlarge', 'B200', 8],
      ['g5.xlarge', 'A10G', 1],
      ['g5.12xlarge', 'A10G', 4],
      ['g5.48xlarge', 'A10G', 8],
      ['g6.2xlarge', 'L4', 1],
      ['g6.48xlarge', 'L4', 8],
      ['g6e.12xlarge', 'L40S', 4],
      ['g4dn.12xlarge', 'T4', 4],
    ];
    for (const [name, model, count] of expected) {
      const type = gpuMachineType('aws', name);
      expect(type, name).toMatchObject({ gpuModel: model, gpuCount: count, provider: 'aws' });
    }
    expect(gpuMachineType('aws', 'P5.48XLARGE')?.name).toBe('p5.48xlarge');
    expect(gpuMachineType('aws', 'm7i.large')).toBeUndefined();
    expect(gpuMachineType('aws', '')).toBeUndefined();
    expect(gpuMachineType('aws', undefined)).toBeUndefined();
  });

  it('knows the Azure GPU VM sizes, with or without the Standard_ prefix', () => {
    expect(gpuMachineType('azure', 'Standard_ND96isr_H100_v5')).toMatchObject({ gpuModel: 'H100', gpuCount: 8, family: 'ND H100 v5' });
    expect(gpuMachineType('azure', 'ND96isr_H100_v5')?.gpuModel).toBe('H100');
    expect(gpuMachineType('azure', 'standard_nd96asr_v4')).toMatchObject({ gpuModel: 'A100-40GB', gpuCount: 8 });
    expect(gpuMachineType('azure', 'Standard_NC24ads_A100_v4')).toMatchObject({ gpuModel: 'A100-80GB', gpuCount: 1 });
    expect(gpuMachineType('azure', 'Standard_NC96ads_A100_v4')).toMatchObject({ gpuModel: 'A100-80GB', gpuCount: 4 });
    expect(gpuMachineType('azure', 'Standard_NC40ads_H100_v5')).toMatchObject({ gpuModel: 'H100-NVL', gpuCount: 1 });
    expect(gpuMachineType('azure', 'Standard_NC64as_T4_v3')).toMatchObject({ gpuModel: 'T4', gpuCount: 4 });
    expect(gpuMachineType('azure', 'Standard_D4s_v5')).toBeUndefined();
  });

  it('knows the Google Cloud GPU machine types', () => {
    expect(gpuMachineType('gcp', 'a2-highgpu-8g')).toMatchObject({ gpuModel: 'A100-40GB', gpuCount: 8 });
    expect(gpuMachineType('gcp', 'a2-ultragpu-1g')).toMatchObject({ gpuModel: 'A100-80GB', gpuCount: 1 });
    expect(gpuMachineType('gcp', 'a3-highgpu-8g')).toMatchObject({ gpuModel: 'H100', gpuCount: 8 });
    expect(gpuMachineType('gcp', 'a3-megagpu-8g')).toMatchObject({ gpuModel: 'H100', gpuCount: 8 });
    expect(gpuMachineType('gcp', 'g2-standard-24')).toMatchObject({ gpuModel: 'L4', gpuCount: 2 });
    expect(gpuMachineType('gcp', 'n2-standard-8')).toBeUndefined();
  });

  it('lists every type of a provider', () => {
    expect(gpuMachineTypes('aws').every((t) => t.provider === 'aws' && t.gpuCount > 0)).toBe(true);
    expect(gpuMachineTypes('gcp').length).toBeGreaterThan(10);
  });
});

describe('gpuModelFromText', () => {
  it('reads model names from descriptions', () => {
    expect(gpuModelFromText('Nvidia H100 80GB GPU running in Americas')).toBe('H100');
    expect(gpuModelFromText('Nvidia H100 80GB Mega GPU running in Americas')).toBe('H100');
    expect(gpuModelFromText('NVIDIA H100 NVL')).toBe('H100-NVL');
    expect(gpuModelFromText('Nvidia Tesla A100 GPU running in Americas')).toBe('A100-40GB');
    expect(gpuModelFromText('Nvidia Tesla A100 80GB GPU running in EMEA')).toBe('A100-80GB');
    expect(gpuModelFromText('NVIDIA A100-SXM4-80GB')).toBe('A100-80GB');
    expect(gpuModelFromText('Nvidia L4 GPU running in APAC')).toBe('L4');
    expect(gpuModelFromText('NVIDIA L40S')).toBe('L40S');
    expect(gpuModelFromText('NVIDIA A10G')).toBe('A10G');
    expect(gpuModelFromText('Nvidia Tesla T4 GPU running in Americas')).toBe('T4');
    expect(gpuModelFromText('Nvidia H200 141GB GPU running in Americas')).toBe('H200');
    expect(gpuModelFromText('NVIDIA B200')).toBe('B200');
    expect(gpuModelFromText('ND96isr H100 v5')).toBe('H100');
    expect(gpuModelFromText('N1 Predefined Instance Core running in Americas')).toBeUndefined();
  });
});

describe('gcpGpuSkuFromDescription', () => {
  it('tells on-demand, spot and commitment GPU SKUs apart', () => {
    expect(gcpGpuSkuFromDescription('Nvidia H100 80GB GPU running in Americas')).toEqual({
      gpuModel: 'H100',
      usage: 'on-demand',
      location: 'Americas',
    });
    expect(gcpGpuSkuFromDescription('Spot Preemptible Nvidia H100 80GB GPU running in Americas')).toEqual({
      gpuModel: 'H100',
      usage: 'spot',
      location: 'Americas',
    });
    expect(gcpGpuSkuFromDescription('Commitment v1: Nvidia L4 GPU running in EMEA for 1 Year')?.usage).toBe('commitment');
    expect(gcpGpuSkuFromDescription('A3 Instance Core running in Americas')).toBeUndefined();
    expect(gcpGpuSkuFromDescription(undefined)).toBeUndefined();
  });
});
