import { type GpuModel, gpuMachineType, gpuMachineTypes } from '../../shared/domain/providers/gpu-catalog.js';
import {
  type Decimal,
  divideDecimalByInteger,
  formatDecimal,
  multiplyDecimal,
  parseDecimal,
  roundDecimal,
} from '../../shared/domain/core/money.js';
import { DAY_MS } from '../../shared/domain/core/utc-time.js';

/**
 * The simulated organization behind the local provider server: GPU fleets on AWS, Azure and Google Cloud with
 * on-demand, spot and committed usage, `historyDays` of daily history up to the clock's "now", and one
 * restated day. Everything is a pure function of (seed, now, revision): the same inputs give byte-identical
 * replies. `revision` moves when a test calls `restate()`: the restated day then gets its late usage.
 */
export interface AwsInstanceSpec {
  /** `i-0...` as the GPU host agent reports it (instance metadata). */
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string;
  accountId: string;
  purchase: 'on-demand' | 'spot' | 'reserved';
  tags: Record<string, string>;
  /** Hours a full day runs; 24 unless the instance is stopped part of the day. */
  hoursPerDay?: number;
}

export interface AzureVmSpec {
  name: string;
  resourceGroup: string;
  vmSize: string;
  location: string;
  pricingModel: 'OnDemand' | 'Spot' | 'Reservation';
  hoursPerDay?: number;
  tags?: Record<string, string>;
}

export interface GcpInstanceSpec {
  name: string;
  instanceId: string;
  machineType: string;
  zone: string;
  projectId: string;
  projectName: string;
  projectNumber: string;
  usage: 'on-demand' | 'spot' | 'committed';
  labels: Record<string, string>;
  hoursPerDay?: number;
}

export interface SimulationOptions {
  seed?: number;
  /** The clock: history ends at this instant. Defaults to the real time at start. */
  now?: Date | string | number;
  historyDays?: number;
  awsInstances?: AwsInstanceSpec[];
  azureVms?: AzureVmSpec[];
  gcpInstances?: GcpInstanceSpec[];
}

export { DAY_MS };

export const awsOrganization = {
  payerAccountId: '111122223333',
  payerAccountName: 'Example Org',
  accounts: { '444455556666': 'ml-training', '777788889999': 'inference' } as Record<string, string>,
};

export const azureOrganization = {
  subscriptionId: '00000000-aaaa-bbbb-cccc-000000000001',
  subscriptionName: 'ML platform',
  get scope() {
    return `/subscriptions/${this.subscriptionId}`;
  },
};

export const gcpOrganization = {
  billingAccountId: '01A2B3-C4D5E6-F7A8B9',
  billingProjectId: 'billing-admin-prod',
  exportTable: 'billing-admin-prod.billing_export.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9',
  computeServiceId: '6F81-5844-456A',
};

export const defaultAwsInstances: AwsInstanceSpec[] = [
  {
    instanceId: 'i-0a1b2c3d4e5f60001',
    instanceType: 'p5.48xlarge',
    region: 'us-east-1',
    availabilityZone: 'us-east-1a',
    accountId: '444455556666',
    purchase: 'on-demand',
    tags: { team: 'research', Environment: 'prod' },
  },
  {
    instanceId: 'i-0a1b2c3d4e5f60002',
    instanceType: 'p5.48xlarge',
    region: 'us-east-1',
    availabilityZone: 'us-east-1b',
    accountId: '444455556666',
    purchase: 'reserved',
    tags: { team: 'research', Environment: 'prod' },
    hoursPerDay: 22,
  },
  {
    instanceId: 'i-0a1b2c3d4e5f60003',
    instanceType: 'p4d.24xlarge',
    region: 'us-west-2',
    availabilityZone: 'us-west-2b',
    accountId: '444455556666',
    purchase: 'spot',
    tags: { team: 'research', Environment: 'dev' },
  },
  {
    instanceId: 'i-0a1b2c3d4e5f60004',
    instanceType: 'g6e.12xlarge',
    region: 'us-east-1',
    availabilityZone: 'us-east-1c',
    accountId: '777788889999',
    purchase: 'on-demand',
    tags: { team: 'inference', Environment: 'prod' },
  },
  {
    instanceId: 'i-0a1b2c3d4e5f60005',
    instanceType: 'g5.12xlarge',
    region: 'us-west-2',
    availabilityZone: 'us-west-2a',
    accountId: '777788889999',
    purchase: 'spot',
    tags: { team: 'inference' },
    hoursPerDay: 14,
  },
];

export const defaultAzureVms: AzureVmSpec[] = [
  {
    name: 'gpu-h100-01',
    resourceGroup: 'ml-training',
    vmSize: 'Standard_ND96isr_H100_v5',
    location: 'eastus',
    pricingModel: 'OnDemand',
    tags: { team: 'research' },
  },
  {
    name: 'gpu-h100-02',
    resourceGroup: 'ml-training',
    vmSize: 'Standard_ND96isr_H100_v5',
    location: 'eastus',
    pricingModel: 'Reservation',
    hoursPerDay: 20,
    tags: { team: 'research' },
  },
  {
    name: 'gpu-a100-spot-01',
    resourceGroup: 'ml-batch',
    vmSize: 'Standard_NC24ads_A100_v4',
    location: 'westus3',
    pricingModel: 'Spot',
    tags: { team: 'research' },
  },
  {
    name: 'gpu-t4-01',
    resourceGroup: 'inference',
    vmSize: 'Standard_NC4as_T4_v3',
    location: 'eastus',
    pricingModel: 'OnDemand',
    hoursPerDay: 10,
    tags: { team: 'inference' },
  },
];

export const defaultGcpInstances: GcpInstanceSpec[] = [
  {
    name: 'a3-train-01',
    instanceId: '4815162342001',
    machineType: 'a3-highgpu-8g',
    zone: 'us-central1-a',
    projectId: 'ml-research-prod',
    projectName: 'ML research',
    projectNumber: '123456789012',
    usage: 'committed',
    labels: { team: 'research', workload: 'pretrain' },
  },
  {
    name: 'a2-ultra-spot-01',
    instanceId: '4815162342002',
    machineType: 'a2-ultragpu-1g',
    zone: 'us-central1-c',
    projectId: 'ml-research-prod',
    projectName: 'ML research',
    projectNumber: '123456789012',
    usage: 'spot',
    labels: { team: 'research', workload: 'eval' },
  },
  {
    name: 'g2-infer-01',
    instanceId: '4815162342003',
    machineType: 'g2-standard-24',
    zone: 'us-east4-a',
    projectId: 'inference-prod',
    projectName: 'Inference',
    projectNumber: '210987654321',
    usage: 'on-demand',
    labels: { team: 'inference' },
    hoursPerDay: 18,
  },
];

/** Illustrative on-demand prices per GPU-hour (not real prices). */
const awsPerGpuHour: Record<GpuModel, string> = {
  H100: '6.88',
  'H100-NVL': '6.5',
  H200: '7.9125',
  B200: '14.2413',
  'A100-40GB': '2.745',
  'A100-80GB': '3.43125',
  L40S: '1.861',
  L4: '0.8048',
  A10G: '1.006',
  A10: '0.9',
  T4: '0.526',
  V100: '3.06',
};
const azurePerGpuHour: Record<GpuModel, string> = {
  H100: '12.29',
  'H100-NVL': '6.98',
  H200: '13.5',
  B200: '18',
  'A100-40GB': '3.4',
  'A100-80GB': '3.673',
  L40S: '2.1',
  L4: '0.9',
  A10G: '1.1',
  A10: '1.6',
  T4: '0.526',
  V100: '3.06',
};
const gcpPerGpuHour: Record<GpuModel, string> = {
  H100: '9.79655',
  'H100-NVL': '9',
  H200: '10.6',
  B200: '12.5',
  'A100-40GB': '2.933908',
  'A100-80GB': '3.92892',
  L40S: '2',
  L4: '0.672',
  A10G: '1',
  A10: '1',
  T4: '0.35',
  V100: '2.48',
};

export function awsOnDemandRate(instanceType: string): Decimal {
  const type = gpuMachineType('aws', instanceType);
  if (!type) return parseDecimal('0.1');
  return parseDecimal(awsPerGpuHour[type.gpuModel]) * BigInt(type.gpuCount);
}

export function azureOnDemandRate(vmSize: string): Decimal {
  const type = gpuMachineType('azure', vmSize);
  if (!type) return parseDecimal('0.2');
  return parseDecimal(azurePerGpuHour[type.gpuModel]) * BigInt(type.gpuCount);
}

export function gcpGpuRate(model: GpuModel): Decimal {
  return parseDecimal(gcpPerGpuHour[model]);
}

/** A value in [0, 1) fixed by its inputs. */
export function noise(...parts: Array<number | string>): number {
  let h = 2166136261;
  for (const part of parts) {
    const text = String(part);
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0x9e3779b9, 16777619);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** A multiplier in [low, high) rounded to 4 places, as a Decimal. */
function factor(low: number, high: number, ...parts: Array<number | string>): Decimal {
  const value = low + (high - low) * noise(...parts);
  return parseDecimal(value.toFixed(4));
}

function round(value: Decimal, places: number): Decimal {
  return roundDecimal(value, places);
}

function hours(n: number): Decimal {
  return parseDecimal(n);
}

export interface AwsLineItem {
  day: number;
  accountId: string;
  service: string;
  region: string;
  availabilityZone: string;
  usageType: string;
  instanceType: string;
  resourceId: string;
  purchaseType: string;
  recordType: string;
  operatingSystem: string;
  tags: Record<string, string>;
  unblended: Decimal;
  amortized: Decimal;
  netUnblended: Decimal;
  blended: Decimal;
  netAmortized: Decimal;
  usageQuantity: Decimal;
  usageUnit: string;
}

export interface AzureUsageRow {
  day: number;
  subscriptionId: string;
  resourceId: string;
  resourceGroup: string;
  resourceType: string;
  location: string;
  serviceName: string;
  meterCategory: string;
  meter: string;
  pricingModel: string;
  chargeType: string;
  actualCost: Decimal;
  amortizedCost: Decimal;
  quantity: Decimal;
  unit: string;
  /** The resource's tags (none on reservation rows that belong to no resource). */
  tags: Record<string, string>;
}

export interface GcpExportRow {
  day: number;
  billingAccountId: string;
  serviceId: string;
  serviceDescription: string;
  skuId: string;
  skuDescription: string;
  projectId: string;
  projectName: string;
  region: string;
  zone: string;
  resourceName: string;
  resourceGlobalName: string;
  machineSpec: string;
  labels: Array<{ key: string; value: string }>;
  currency: string;
  costType: string;
  usageUnit: string;
  pricingUnit: string;
  usageAmount: Decimal;
  usageAmountInPricingUnits: Decimal;
  cost: Decimal;
  costAtList: Decimal;
  credits: Decimal;
  invoiceMonth: string;
}

function regionPrefix(region: string): string {
  const prefixes: Record<string, string> = { 'us-east-1': '', 'us-east-2': 'USE2-', 'us-west-2': 'USW2-', 'eu-west-1': 'EU-' };
  return prefixes[region] ?? `${region.toUpperCase()}-`;
}

function gcpSkuId(description: string): string {
  const hex = (n: number) =>
    Math.floor(n * 0xffff)
      .toString(16)
      .toUpperCase()
      .padStart(4, '0');
  return `${hex(noise('sku-a', description))}-${hex(noise('sku-b', description))}-${hex(noise('sku-c', description))}`;
}

function gcpLocationName(region: string): string {
  if (region.startsWith('us-central')) return 'Americas';
  if (region === 'us-east4') return 'Virginia';
  if (region.startsWith('europe')) return 'EMEA';
  if (region.startsWith('asia')) return 'APAC';
  return 'Americas';
}

export function gcpGpuSkuDescription(model: GpuModel, usage: 'on-demand' | 'spot' | 'committed', region: string): string {
  const names: Record<GpuModel, string> = {
    H100: 'Nvidia H100 80GB GPU',
    'H100-NVL': 'Nvidia H100 NVL GPU',
    H200: 'Nvidia H200 141GB GPU',
    B200: 'Nvidia B200 GPU',
    'A100-40GB': 'Nvidia Tesla A100 GPU',
    'A100-80GB': 'Nvidia Tesla A100 80GB GPU',
    L40S: 'Nvidia L40S GPU',
    L4: 'Nvidia L4 GPU',
    A10G: 'Nvidia A10G GPU',
    A10: 'Nvidia A10 GPU',
    T4: 'Nvidia Tesla T4 GPU',
    V100: 'Nvidia Tesla V100 GPU',
  };
  const base = `${names[model]} running in ${gcpLocationName(region)}`;
  return usage === 'spot' ? `Spot Preemptible ${base}` : base;
}

export class SimulatedOrganization {
  readonly seed: number;
  readonly now: number;
  readonly historyDays: number;
  readonly awsInstances: AwsInstanceSpec[];
  readonly azureVms: AzureVmSpec[];
  readonly gcpInstances: GcpInstanceSpec[];
  /** Moves on `restate()`: the restated day's late usage arrives. */
  revision = 0;

  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 1;
    const now = options.now === undefined ? Date.now() : new Date(options.now).getTime();
    if (Number.isNaN(now)) throw new RangeError(`Bad clock: ${String(options.now)}`);
    this.now = now;
    this.historyDays = options.historyDays ?? 90;
    this.awsInstances = options.awsInstances ?? defaultAwsInstances;
    this.azureVms = options.azureVms ?? defaultAzureVms;
    this.gcpInstances = options.gcpInstances ?? defaultGcpInstances;
  }

  /** UTC midnight of "today". */
  get today(): number {
    return Math.floor(this.now / DAY_MS) * DAY_MS;
  }

  get firstDay(): number {
    return this.today - this.historyDays * DAY_MS;
  }

  /** The day whose amounts change on `restate()`: two days before today. */
  get restatedDay(): number {
    return this.today - 2 * DAY_MS;
  }

  restate(): void {
    this.revision++;
  }

  /** Days with data in [from, to), clipped to the history. */
  daysBetween(from: number, to: number): number[] {
    const days: number[] = [];
    const start = Math.max(Math.floor(from / DAY_MS) * DAY_MS, this.firstDay);
    for (let day = start; day < to && day <= this.today; day += DAY_MS) days.push(day);
    return days;
  }

  /** Hours of usage recorded for a day: today is partial, and the restated day lacks late usage until restated. */
  hoursOn(day: number, hoursPerDay = 24): number {
    if (day > this.today || day < this.firstDay) return 0;
    let h = hoursPerDay;
    if (day === this.today) h = Math.min(hoursPerDay, Math.floor((this.now - day) / 3_600_000));
    if (day === this.restatedDay && this.revision === 0) h = Math.max(0, h - 3);
    return h;
  }

  /** Cost Explorer's Estimated: the last two days, and the restated day until it is restated. */
  awsEstimated(day: number): boolean {
    return day >= this.today - DAY_MS || (day === this.restatedDay && this.revision === 0);
  }

  awsSpotRate(instanceType: string, day: number): Decimal {
    return round(multiplyDecimal(awsOnDemandRate(instanceType), factor(0.35, 0.6, this.seed, 'aws-spot', instanceType, day)), 4);
  }

  awsReservedRate(instanceType: string): Decimal {
    return round(multiplyDecimal(awsOnDemandRate(instanceType), parseDecimal('0.7')), 4);
  }

  awsLineItems(day: number): AwsLineItem[] {
    const items: AwsLineItem[] = [];
    const edp = parseDecimal('0.97');
    for (const instance of this.awsInstances) {
      const h = this.hoursOn(day, instance.hoursPerDay);
      const prefix = regionPrefix(instance.region);
      const base = {
        day,
        accountId: instance.accountId,
        service: 'Amazon Elastic Compute Cloud - Compute',
        region: instance.region,
        availabilityZone: instance.availabilityZone,
        instanceType: instance.instanceType,
        operatingSystem: 'Linux',
        tags: instance.tags,
        usageUnit: 'Hrs',
      };
      if (instance.purchase === 'reserved') {
        const rate = this.awsReservedRate(instance.instanceType);
        const usage = rate * BigInt(h);
        items.push({
          ...base,
          usageType: `${prefix}BoxUsage:${instance.instanceType}`,
          resourceId: instance.instanceId,
          purchaseType: 'Standard Reserved Instances',
          recordType: 'DiscountedUsage',
          unblended: 0n,
          amortized: usage,
          netUnblended: 0n,
          blended: 0n,
          netAmortized: round(multiplyDecimal(usage, edp), 10),
          usageQuantity: hours(h),
        });
        if (day <= this.today) {
          const fee = rate * BigInt(day === this.today ? this.hoursOn(day) : 24);
          items.push({
            ...base,
            usageType: `${prefix}HeavyUsage:${instance.instanceType}`,
            resourceId: '',
            purchaseType: 'Standard Reserved Instances',
            recordType: 'RIFee',
            unblended: fee,
            amortized: fee - usage,
            netUnblended: round(multiplyDecimal(fee, edp), 10),
            blended: fee,
            netAmortized: round(multiplyDecimal(fee - usage, edp), 10),
            usageQuantity: hours(day === this.today ? this.hoursOn(day) : 24),
          });
        }
        continue;
      }
      const spot = instance.purchase === 'spot';
      const rate = spot ? this.awsSpotRate(instance.instanceType, day) : awsOnDemandRate(instance.instanceType);
      const cost = rate * BigInt(h);
      items.push({
        ...base,
        usageType: `${prefix}${spot ? 'SpotUsage' : 'BoxUsage'}:${instance.instanceType}`,
        resourceId: instance.instanceId,
        purchaseType: spot ? 'Spot Instances' : 'On Demand Instances',
        recordType: 'Usage',
        unblended: cost,
        amortized: cost,
        netUnblended: round(multiplyDecimal(cost, edp), 10),
        blended: cost,
        netAmortized: round(multiplyDecimal(cost, edp), 10),
        usageQuantity: hours(h),
      });
    }
    // Storage for the training data: not a GPU line, so filters and groupings have something to leave out.
    const gb = parseDecimal(12000 + Math.floor(noise(this.seed, 's3', day) * 500));
    const storage = round(divideDecimalByInteger(multiplyDecimal(gb, parseDecimal('0.023')), 30), 10);
    items.push({
      day,
      accountId: '444455556666',
      service: 'Amazon Simple Storage Service',
      region: 'us-east-1',
      availabilityZone: '',
      usageType: 'TimedStorage-ByteHrs',
      instanceType: '',
      resourceId: 'ml-datasets',
      purchaseType: 'On Demand Instances',
      recordType: 'Usage',
      operatingSystem: '',
      tags: { team: 'research' },
      unblended: storage,
      amortized: storage,
      netUnblended: round(multiplyDecimal(storage, edp), 10),
      blended: storage,
      netAmortized: round(multiplyDecimal(storage, edp), 10),
      usageQuantity: round(divideDecimalByInteger(gb, 30), 10),
      usageUnit: 'GB-Mo',
    });
    return items.filter((item) => item.usageQuantity !== 0n || item.unblended !== 0n || item.amortized !== 0n);
  }

  azureResourceId(vm: AzureVmSpec): string {
    return `/subscriptions/${azureOrganization.subscriptionId}/resourceGroups/${vm.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${vm.name}`;
  }

  azureSpotRate(vmSize: string, day: number): Decimal {
    return round(multiplyDecimal(azureOnDemandRate(vmSize), factor(0.3, 0.5, this.seed, 'azure-spot', vmSize, day)), 4);
  }

  /** One-year reservation: the term price and its hourly equivalent. */
  azureReservation(vmSize: string): { termPrice: Decimal; hourly: Decimal; monthly: Decimal } {
    const termPrice = round(multiplyDecimal(azureOnDemandRate(vmSize) * 8760n, parseDecimal('0.5916')), 0);
    return {
      termPrice,
      hourly: round(divideDecimalByInteger(termPrice, 8760), 4),
      monthly: round(divideDecimalByInteger(termPrice, 12), 2),
    };
  }

  azureUsage(day: number): AzureUsageRow[] {
    const rows: AzureUsageRow[] = [];
    for (const vm of this.azureVms) {
      const h = this.hoursOn(day, vm.hoursPerDay);
      const meter = vm.vmSize.replace(/^Standard_/, '').replace(/_/g, ' ');
      const base = {
        day,
        subscriptionId: azureOrganization.subscriptionId,
        resourceGroup: vm.resourceGroup,
        resourceType: 'Microsoft.Compute/virtualMachines',
        location: vm.location,
        serviceName: 'Virtual Machines',
        meterCategory: 'Virtual Machines',
        quantity: hours(h),
        unit: '1 Hour',
        tags: vm.tags ?? {},
      };
      if (vm.pricingModel === 'Reservation') {
        const reservation = this.azureReservation(vm.vmSize);
        rows.push({
          ...base,
          resourceId: this.azureResourceId(vm),
          meter,
          pricingModel: 'Reservation',
          chargeType: 'Usage',
          actualCost: 0n,
          amortizedCost: reservation.hourly * BigInt(h),
        });
        const full = day === this.today ? this.hoursOn(day) : 24;
        if (full > h) {
          rows.push({
            ...base,
            resourceId: '',
            resourceGroup: '',
            resourceType: '',
            meter,
            pricingModel: 'Reservation',
            chargeType: 'UnusedReservation',
            actualCost: 0n,
            amortizedCost: reservation.hourly * BigInt(full - h),
            quantity: hours(full - h),
            tags: {},
          });
        }
        if (new Date(day).getUTCDate() === 1) {
          rows.push({
            ...base,
            resourceId: '',
            resourceGroup: '',
            resourceType: '',
            location: '',
            meter: `${meter} reservation`,
            pricingModel: 'Reservation',
            chargeType: 'Purchase',
            actualCost: reservation.monthly,
            amortizedCost: 0n,
            quantity: 1_000_000_000_000n,
            unit: '1 Month',
            tags: {},
          });
        }
        continue;
      }
      const spot = vm.pricingModel === 'Spot';
      const rate = spot ? this.azureSpotRate(vm.vmSize, day) : azureOnDemandRate(vm.vmSize);
      const cost = rate * BigInt(h);
      rows.push({
        ...base,
        resourceId: this.azureResourceId(vm),
        meter: spot ? `${meter} Spot` : meter,
        pricingModel: vm.pricingModel,
        chargeType: 'Usage',
        actualCost: cost,
        amortizedCost: cost,
      });
    }
    return rows.filter((row) => row.actualCost !== 0n || row.amortizedCost !== 0n);
  }

  gcpSpotFactor(model: GpuModel): Decimal {
    return factor(0.3, 0.45, this.seed, 'gcp-spot', model);
  }

  gcpExportRows(day: number): GcpExportRow[] {
    const rows: GcpExportRow[] = [];
    const month = new Date(day);
    const invoiceMonth = `${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
    for (const instance of this.gcpInstances) {
      const type = gpuMachineType('gcp', instance.machineType);
      if (!type) continue;
      const h = this.hoursOn(day, instance.hoursPerDay);
      if (h === 0) continue;
      const region = instance.zone.replace(/-[a-z]$/, '');
      const base = {
        day,
        billingAccountId: gcpOrganization.billingAccountId,
        serviceId: gcpOrganization.computeServiceId,
        serviceDescription: 'Compute Engine',
        projectId: instance.projectId,
        projectName: instance.projectName,
        region,
        zone: instance.zone,
        resourceName: instance.name,
        resourceGlobalName: `//compute.googleapis.com/projects/${instance.projectNumber}/zones/${instance.zone}/instances/${instance.instanceId}`,
        machineSpec: instance.machineType,
        labels: Object.entries(instance.labels)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, value]) => ({ key, value })),
        currency: 'USD',
        costType: 'regular',
        usageUnit: 'seconds',
        pricingUnit: 'hour',
        invoiceMonth,
      };
      const spot = instance.usage === 'spot';
      const gpuDescription = gcpGpuSkuDescription(type.gpuModel, spot ? 'spot' : 'on-demand', region);
      const gpuHours = hours(h * type.gpuCount);
      const gpuRate = spot
        ? round(multiplyDecimal(gcpGpuRate(type.gpuModel), this.gcpSpotFactor(type.gpuModel)), 6)
        : gcpGpuRate(type.gpuModel);
      const gpuCost = round(gpuRate * BigInt(h * type.gpuCount), 9);
      const credits = instance.usage === 'committed' ? -round(multiplyDecimal(gpuCost, parseDecimal('0.3')), 9) : 0n;
      rows.push({
        ...base,
        skuId: gcpSkuId(gpuDescription),
        skuDescription: gpuDescription,
        usageAmount: gpuHours * 3600n /* Decimal × integer */,
        usageAmountInPricingUnits: gpuHours,
        cost: gpuCost,
        costAtList: gpuCost,
        credits,
      });
      const family = instance.machineType.split('-')[0]!.toUpperCase();
      const coreDescription = `${spot ? 'Spot Preemptible ' : ''}${family} Instance Core running in ${gcpLocationName(region)}`;
      const coreHours = hours(h * type.vcpus);
      const coreCost = round(parseDecimal(spot ? '0.0127' : '0.0318') * BigInt(h * type.vcpus), 9);
      rows.push({
        ...base,
        skuId: gcpSkuId(coreDescription),
        skuDescription: coreDescription,
        usageAmount: coreHours * 3600n,
        usageAmountInPricingUnits: coreHours,
        cost: coreCost,
        costAtList: coreCost,
        credits: 0n,
      });
    }
    return rows;
  }

  // ----------------------------------------------------------------------------------------------------
  // Market data

  /** Spot price of an instance type in an AZ at a 6-hour boundary. */
  awsSpotPriceAt(instanceType: string, availabilityZone: string, at: number): Decimal {
    return round(
      multiplyDecimal(awsOnDemandRate(instanceType), factor(0.35, 0.6, this.seed, 'aws-spot-history', instanceType, availabilityZone, at)),
      6,
    );
  }

  static awsGpuTypesIn(region: string): string[] {
    const everywhere = ['p5.48xlarge', 'p4d.24xlarge', 'g5.12xlarge', 'g6.xlarge', 'g6e.12xlarge'];
    return region === 'us-east-1' ? [...everywhere, 'p5e.48xlarge', 'p5en.48xlarge', 'p6-b200.48xlarge'] : everywhere;
  }

  static awsZonesOf(region: string): string[] {
    return ['a', 'b', 'c'].map((letter) => `${region}${letter}`);
  }

  static azureGpuSizes(): string[] {
    return gpuMachineTypes('azure').map((t) => t.name);
  }
}

export function decimalString(value: Decimal): string {
  return formatDecimal(value);
}

/** An amount as a JSON number, as Azure writes costs. */
export function decimalNumber(value: Decimal): number {
  return Number(formatDecimal(value));
}
