import { type GpuModel, gpuMachineType, gpuMachineTypes } from '../providers/gpu-catalog.js';
import { malformedReply } from '../providers/provider-errors.js';

/**
 * What capacity is there to be had: reserved capacity (capacity reservations and Capacity Blocks for ML), how
 * likely a spot request is to succeed (spot placement scores) and what the account may run (service quotas).
 * `observedAt` is the collection run's time, passed in by the collector, so a re-run of the same run yields
 * the same keys.
 */
export interface CapacityReservationObservation {
  /** `aws#capacity-reservation#<region>#<reservationId>#<observedAt>`. */
  key: string;
  kind: 'capacity-reservation';
  provider: 'aws';
  region: string;
  availabilityZone: string | null;
  reservationId: string;
  /** `default` (on-demand capacity reservation) or `capacity-block` (Capacity Blocks for ML). */
  reservationType: string;
  instanceType: string;
  gpuModel: GpuModel | null;
  gpusPerInstance: number | null;
  totalInstances: number;
  availableInstances: number;
  /** (total − available) × GPUs per instance: GPUs running on reserved capacity. */
  usedGpus: number | null;
  state: string;
  startDate: string | null;
  endDate: string | null;
  observedAt: string;
}

export interface SpotPlacementScoreObservation {
  /** `aws#spot-placement-score#<region>#<zoneId>#<instanceTypes>#<targetCapacity>#<observedAt>`. */
  key: string;
  kind: 'spot-placement-score';
  provider: 'aws';
  region: string;
  availabilityZoneId: string | null;
  /** 1 (unlikely to succeed) to 10 (very likely). */
  score: number;
  instanceTypes: string[];
  targetCapacity: number;
  targetCapacityUnit: 'units' | 'vcpu' | 'memory-mib';
  observedAt: string;
}

export type GpuQuotaPurchase = 'on-demand' | 'spot';

export interface GpuQuotaObservation {
  /** `aws#quota#<region>#<quotaCode>#<observedAt>`. */
  key: string;
  kind: 'gpu-quota';
  provider: 'aws';
  region: string;
  quotaCode: string;
  quotaName: string;
  /** The instance families the quota covers, as AWS names them: `P`, `G and VT`. */
  family: string;
  purchase: GpuQuotaPurchase;
  /** The limit in vCPUs. */
  limitVcpus: number;
  /** For each GPU instance type of the family: how many instances fit in the limit. */
  maxInstances: Record<string, number>;
  observedAt: string;
}

export type CapacityObservation = CapacityReservationObservation | SpotPlacementScoreObservation | GpuQuotaObservation;

/**
 * EC2 vCPU-based quotas that bound GPU instances (Service Quotas, service code `ec2`). Values are vCPUs.
 * Codes from the Service Quotas console; `L-7212CCBC` is named "All P4, P3 and P2 Spot Instance Requests"
 * in older accounts and "All P Spot Instance Requests" in newer ones.
 */
export const awsGpuQuotas: Record<string, { family: string; purchase: GpuQuotaPurchase; prefixes: string[] }> = {
  'L-417A185B': { family: 'P', purchase: 'on-demand', prefixes: ['p'] },
  'L-DB2E81BA': { family: 'G and VT', purchase: 'on-demand', prefixes: ['g', 'vt'] },
  'L-7212CCBC': { family: 'P', purchase: 'spot', prefixes: ['p'] },
  'L-3819A6DF': { family: 'G and VT', purchase: 'spot', prefixes: ['g', 'vt'] },
};

function isoOrNull(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return null;
}

function count(value: unknown, operation: string, path: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw malformedReply('aws', operation, `expected a count, got ${JSON.stringify(value)}`, path);
  return n;
}

export interface Ec2CapacityReservation {
  CapacityReservationId?: string;
  InstanceType?: string;
  AvailabilityZone?: string;
  TotalInstanceCount?: number;
  AvailableInstanceCount?: number;
  State?: string;
  StartDate?: Date | string;
  EndDate?: Date | string;
  ReservationType?: string;
}

/** DescribeCapacityReservations items → observations (every instance type; GPU fields null for non-GPU types). */
export function capacityReservationObservations(
  items: Ec2CapacityReservation[],
  context: { region: string; observedAt: string },
): CapacityReservationObservation[] {
  const operation = 'EC2.DescribeCapacityReservations';
  return items.map((item, i) => {
    const path = `CapacityReservations[${i}]`;
    if (!item.CapacityReservationId)
      throw malformedReply('aws', operation, 'CapacityReservationId is missing', `${path}.CapacityReservationId`);
    if (!item.InstanceType) throw malformedReply('aws', operation, 'InstanceType is missing', `${path}.InstanceType`);
    const total = count(item.TotalInstanceCount, operation, `${path}.TotalInstanceCount`);
    const available = count(item.AvailableInstanceCount, operation, `${path}.AvailableInstanceCount`);
    if (available > total) throw malformedReply('aws', operation, 'AvailableInstanceCount exceeds TotalInstanceCount', path);
    const type = gpuMachineType('aws', item.InstanceType);
    return {
      key: `aws#capacity-reservation#${context.region}#${item.CapacityReservationId}#${context.observedAt}`,
      kind: 'capacity-reservation',
      provider: 'aws',
      region: context.region,
      availabilityZone: item.AvailabilityZone ?? null,
      reservationId: item.CapacityReservationId,
      reservationType: item.ReservationType ?? 'default',
      instanceType: item.InstanceType,
      gpuModel: type?.gpuModel ?? null,
      gpusPerInstance: type?.gpuCount ?? null,
      totalInstances: total,
      availableInstances: available,
      usedGpus: type ? (total - available) * type.gpuCount : null,
      state: item.State ?? 'unknown',
      startDate: isoOrNull(item.StartDate),
      endDate: isoOrNull(item.EndDate),
      observedAt: context.observedAt,
    };
  });
}

export interface Ec2SpotPlacementScore {
  Region?: string;
  AvailabilityZoneId?: string;
  Score?: number;
}

/** GetSpotPlacementScores items → observations for the request's instance types and target capacity. */
export function spotPlacementScoreObservations(
  items: Ec2SpotPlacementScore[],
  request: { instanceTypes: string[]; targetCapacity: number; targetCapacityUnit?: 'units' | 'vcpu' | 'memory-mib'; observedAt: string },
): SpotPlacementScoreObservation[] {
  const operation = 'EC2.GetSpotPlacementScores';
  const types = [...request.instanceTypes].sort();
  return items.map((item, i) => {
    const path = `SpotPlacementScores[${i}]`;
    if (!item.Region) throw malformedReply('aws', operation, 'Region is missing', `${path}.Region`);
    const score = item.Score;
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 10) {
      throw malformedReply('aws', operation, `expected a score from 1 to 10, got ${JSON.stringify(score)}`, `${path}.Score`);
    }
    const zone = item.AvailabilityZoneId ?? null;
    return {
      key: `aws#spot-placement-score#${item.Region}#${zone ?? '-'}#${types.join(',')}#${request.targetCapacity}#${request.observedAt}`,
      kind: 'spot-placement-score',
      provider: 'aws',
      region: item.Region,
      availabilityZoneId: zone,
      score,
      instanceTypes: types,
      targetCapacity: request.targetCapacity,
      targetCapacityUnit: request.targetCapacityUnit ?? 'units',
      observedAt: request.observedAt,
    };
  });
}

export interface ServiceQuota {
  QuotaCode?: string;
  QuotaName?: string;
  Value?: number;
}

/** ListServiceQuotas (ec2) items → the GPU quota observations; other quotas are skipped. */
export function gpuQuotaObservations(items: ServiceQuota[], context: { region: string; observedAt: string }): GpuQuotaObservation[] {
  const operation = 'ServiceQuotas.ListServiceQuotas';
  const out: GpuQuotaObservation[] = [];
  items.forEach((item, i) => {
    const known = item.QuotaCode ? awsGpuQuotas[item.QuotaCode] : undefined;
    if (!known) return;
    const value = item.Value;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw malformedReply('aws', operation, `expected a quota value, got ${JSON.stringify(value)}`, `Quotas[${i}].Value`);
    }
    const maxInstances: Record<string, number> = {};
    for (const type of gpuMachineTypes('aws')) {
      if (known.prefixes.some((p) => type.family.toLowerCase().startsWith(p))) maxInstances[type.name] = Math.floor(value / type.vcpus);
    }
    out.push({
      key: `aws#quota#${context.region}#${item.QuotaCode}#${context.observedAt}`,
      kind: 'gpu-quota',
      provider: 'aws',
      region: context.region,
      quotaCode: item.QuotaCode!,
      quotaName: item.QuotaName ?? item.QuotaCode!,
      family: known.family,
      purchase: known.purchase,
      limitVcpus: value,
      maxInstances,
      observedAt: context.observedAt,
    });
  });
  return out;
}
