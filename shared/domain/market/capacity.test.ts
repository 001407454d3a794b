import { describe, expect, it } from 'vitest';
import { capacityReservationObservations, gpuQuotaObservations, spotPlacementScoreObservations } from './capacity.js';
import { ProviderError } from '../providers/provider-errors.js';

const observedAt = '2026-11-23T09:00:00.000Z';

describe('capacityReservationObservations', () => {
  it('counts GPUs in use on reserved capacity', () => {
    const [block] = capacityReservationObservations(
      [
        {
          CapacityReservationId: 'cr-0123456789abcdef0',
          InstanceType: 'p5.48xlarge',
          AvailabilityZone: 'us-east-1a',
          TotalInstanceCount: 4,
          AvailableInstanceCount: 1,
          State: 'active',
          StartDate: new Date('2026-11-20T11:30:00.000Z'),
          EndDate: '2026-11-27T11:30:00.000Z',
          ReservationType: 'capacity-block',
        },
      ],
      { region: 'us-east-1', observedAt },
    );
    expect(block).toEqual({
      key: `aws#capacity-reservation#us-east-1#cr-0123456789abcdef0#${observedAt}`,
      kind: 'capacity-reservation',
      provider: 'aws',
      region: 'us-east-1',
      availabilityZone: 'us-east-1a',
      reservationId: 'cr-0123456789abcdef0',
      reservationType: 'capacity-block',
      instanceType: 'p5.48xlarge',
      gpuModel: 'H100',
      gpusPerInstance: 8,
      totalInstances: 4,
      availableInstances: 1,
      usedGpus: 24,
      state: 'active',
      startDate: '2026-11-20T11:30:00.000Z',
      endDate: '2026-11-27T11:30:00.000Z',
      observedAt,
    });
  });

  it('refuses impossible counts', () => {
    const item = { CapacityReservationId: 'cr-1', InstanceType: 'p5.48xlarge', TotalInstanceCount: 1, AvailableInstanceCount: 2 };
    expect(() => capacityReservationObservations([item], { region: 'us-east-1', observedAt })).toThrow(ProviderError);
    expect(() => capacityReservationObservations([{ ...item, TotalInstanceCount: -1 }], { region: 'us-east-1', observedAt })).toThrow(
      /count/,
    );
  });
});

describe('spotPlacementScoreObservations', () => {
  it('keys scores by region, zone, instance types and target', () => {
    const [score] = spotPlacementScoreObservations([{ Region: 'us-east-1', AvailabilityZoneId: 'use1-az4', Score: 3 }], {
      instanceTypes: ['p5.48xlarge', 'p4d.24xlarge', 'p5e.48xlarge'],
      targetCapacity: 2,
      observedAt,
    });
    expect(score).toMatchObject({
      key: `aws#spot-placement-score#us-east-1#use1-az4#p4d.24xlarge,p5.48xlarge,p5e.48xlarge#2#${observedAt}`,
      score: 3,
      targetCapacityUnit: 'units',
    });
    expect(() =>
      spotPlacementScoreObservations([{ Region: 'us-east-1', Score: 11 }], { instanceTypes: [], targetCapacity: 1, observedAt }),
    ).toThrow(/score/);
  });
});

describe('gpuQuotaObservations', () => {
  it('keeps the GPU quotas and says how many instances fit', () => {
    const quotas = gpuQuotaObservations(
      [
        { QuotaCode: 'L-417A185B', QuotaName: 'Running On-Demand P instances', Value: 384 },
        { QuotaCode: 'L-DB2E81BA', QuotaName: 'Running On-Demand G and VT instances', Value: 96 },
        { QuotaCode: 'L-1216C47A', QuotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances', Value: 1152 },
      ],
      { region: 'us-east-1', observedAt },
    );
    expect(quotas).toHaveLength(2);
    // 384 vCPUs: two p5.48xlarge (192 each), four p4d.24xlarge (96 each).
    expect(quotas[0]).toMatchObject({
      family: 'P',
      purchase: 'on-demand',
      limitVcpus: 384,
      key: `aws#quota#us-east-1#L-417A185B#${observedAt}`,
    });
    expect(quotas[0]!.maxInstances['p5.48xlarge']).toBe(2);
    expect(quotas[0]!.maxInstances['p4d.24xlarge']).toBe(4);
    expect(quotas[0]!.maxInstances['g5.xlarge']).toBeUndefined();
    // 96 vCPUs: one g5.24xlarge (96), twenty-four g6.xlarge (4).
    expect(quotas[1]!.maxInstances['g5.24xlarge']).toBe(1);
    expect(quotas[1]!.maxInstances['g6.xlarge']).toBe(24);
    expect(() => gpuQuotaObservations([{ QuotaCode: 'L-417A185B', Value: Number.NaN }], { region: 'us-east-1', observedAt })).toThrow(
      ProviderError,
    );
  });
});
