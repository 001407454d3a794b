/**
 * Which GPUs an instance type, VM size or price-catalog SKU carries.
 *
 * Canonical GPU model names are short and memory-qualified only where one name covers two memory sizes:
 * "H100", "H100-NVL", "H200", "B200", "A100-40GB", "A100-80GB", "L40S", "L4", "A10G", "A10", "T4", "V100".
 * Sources: the providers' instance-type pages (AWS accelerated computing, Azure GPU VM sizes, Google Cloud
 * GPU machine types). Unknown types answer `undefined`: the caller decides whether that is an error.
 */

export const gpuModels = ['H100', 'H100-NVL', 'H200', 'B200', 'A100-40GB', 'A100-80GB', 'L40S', 'L4', 'A10G', 'A10', 'T4', 'V100'] as const;
export type GpuModel = (typeof gpuModels)[number];

export type CloudProvider = 'aws' | 'azure' | 'gcp';

export interface GpuMachineType {
  provider: CloudProvider;
  /** As the provider spells it: `p5.48xlarge`, `Standard_ND96isr_H100_v5`, `a3-highgpu-8g`. */
  name: string;
  gpuModel: GpuModel;
  gpuCount: number;
  vcpus: number;
  /** The provider's family or series name: `p5`, `ND H100 v5`, `a3`. */
  family: string;
}

type Row = readonly [name: string, gpuModel: GpuModel, gpuCount: number, vcpus: number, family: string];

const awsRows: Row[] = [
  ['p4d.24xlarge', 'A100-40GB', 8, 96, 'p4d'],
  ['p4de.24xlarge', 'A100-80GB', 8, 96, 'p4de'],
  ['p5.4xlarge', 'H100', 1, 16, 'p5'],
  ['p5.48xlarge', 'H100', 8, 192, 'p5'],
  ['p5e.48xlarge', 'H200', 8, 192, 'p5e'],
  ['p5en.48xlarge', 'H200', 8, 192, 'p5en'],
  ['p6-b200.48xlarge', 'B200', 8, 192, 'p6'],
  ...sizes('g5', 'A10G', [
    ['xlarge', 1, 4],
    ['2xlarge', 1, 8],
    ['4xlarge', 1, 16],
    ['8xlarge', 1, 32],
    ['16xlarge', 1, 64],
    ['12xlarge', 4, 48],
    ['24xlarge', 4, 96],
    ['48xlarge', 8, 192],
  ]),
  ...sizes('g6', 'L4', [
    ['xlarge', 1, 4],
    ['2xlarge', 1, 8],
    ['4xlarge', 1, 16],
    ['8xlarge', 1, 32],
    ['16xlarge', 1, 64],
    ['12xlarge', 4, 48],
    ['24xlarge', 4, 96],
    ['48xlarge', 8, 192],
  ]),
  ...sizes('g6e', 'L40S', [
    ['xlarge', 1, 4],
    ['2xlarge', 1, 8],
    ['4xlarge', 1, 16],
    ['8xlarge', 1, 32],
    ['16xlarge', 1, 64],
    ['12xlarge', 4, 48],
    ['24xlarge', 4, 96],
    ['48xlarge', 8, 192],
  ]),
  ...sizes('g4dn', 'T4', [
    ['xlarge', 1, 4],
    ['2xlarge', 1, 8],
    ['4xlarge', 1, 16],
    ['8xlarge', 1, 32],
    ['16xlarge', 1, 64],
    ['12xlarge', 4, 48],
    ['metal', 8, 96],
  ]),
];

function sizes(family: string, gpuModel: GpuModel, list: Array<[string, number, number]>): Row[] {
  return list.map(([size, gpus, vcpus]) => [`${family}.${size}`, gpuModel, gpus, vcpus, family] as const);
}

const azureRows: Row[] = [
  ['Standard_ND96isr_H100_v5', 'H100', 8, 96, 'ND H100 v5'],
  ['Standard_ND96isr_H200_v5', 'H200', 8, 96, 'ND H200 v5'],
  ['Standard_ND96asr_v4', 'A100-40GB', 8, 96, 'ND A100 v4'],
  ['Standard_ND96amsr_A100_v4', 'A100-80GB', 8, 96, 'NDm A100 v4'],
  ['Standard_NC24ads_A100_v4', 'A100-80GB', 1, 24, 'NC A100 v4'],
  ['Standard_NC48ads_A100_v4', 'A100-80GB', 2, 48, 'NC A100 v4'],
  ['Standard_NC96ads_A100_v4', 'A100-80GB', 4, 96, 'NC A100 v4'],
  ['Standard_NC40ads_H100_v5', 'H100-NVL', 1, 40, 'NC H100 v5'],
  ['Standard_NC80adis_H100_v5', 'H100-NVL', 2, 80, 'NC H100 v5'],
  ['Standard_NC4as_T4_v3', 'T4', 1, 4, 'NC T4 v3'],
  ['Standard_NC8as_T4_v3', 'T4', 1, 8, 'NC T4 v3'],
  ['Standard_NC16as_T4_v3', 'T4', 1, 16, 'NC T4 v3'],
  ['Standard_NC64as_T4_v3', 'T4', 4, 64, 'NC T4 v3'],
  ['Standard_NC8ads_A10_v4', 'A10', 1, 8, 'NC A10 v4'],
  ['Standard_NC16ads_A10_v4', 'A10', 1, 16, 'NC A10 v4'],
  ['Standard_NC32ads_A10_v4', 'A10', 2, 32, 'NC A10 v4'],
];

const gcpRows: Row[] = [
  ['a2-highgpu-1g', 'A100-40GB', 1, 12, 'a2'],
  ['a2-highgpu-2g', 'A100-40GB', 2, 24, 'a2'],
  ['a2-highgpu-4g', 'A100-40GB', 4, 48, 'a2'],
  ['a2-highgpu-8g', 'A100-40GB', 8, 96, 'a2'],
  ['a2-megagpu-16g', 'A100-40GB', 16, 96, 'a2'],
  ['a2-ultragpu-1g', 'A100-80GB', 1, 12, 'a2'],
  ['a2-ultragpu-2g', 'A100-80GB', 2, 24, 'a2'],
  ['a2-ultragpu-4g', 'A100-80GB', 4, 48, 'a2'],
  ['a2-ultragpu-8g', 'A100-80GB', 8, 96, 'a2'],
  ['a3-highgpu-1g', 'H100', 1, 26, 'a3'],
  ['a3-highgpu-2g', 'H100', 2, 52, 'a3'],
  ['a3-highgpu-4g', 'H100', 4, 104, 'a3'],
  ['a3-highgpu-8g', 'H100', 8, 208, 'a3'],
  ['a3-megagpu-8g', 'H100', 8, 208, 'a3'],
  ['a3-edgegpu-8g', 'H100', 8, 208, 'a3'],
  ['a3-ultragpu-8g', 'H200', 8, 224, 'a3'],
  ['a4-highgpu-8g', 'B200', 8, 224, 'a4'],
  ['g2-standard-4', 'L4', 1, 4, 'g2'],
  ['g2-standard-8', 'L4', 1, 8, 'g2'],
  ['g2-standard-12', 'L4', 1, 12, 'g2'],
  ['g2-standard-16', 'L4', 1, 16, 'g2'],
  ['g2-standard-24', 'L4', 2, 24, 'g2'],
  ['g2-standard-32', 'L4', 1, 32, 'g2'],
  ['g2-standard-48', 'L4', 4, 48, 'g2'],
  ['g2-standard-96', 'L4', 8, 96, 'g2'],
];

function index(provider: CloudProvider, rows: Row[]): Map<string, GpuMachineType> {
  return new Map(
    rows.map(([name, gpuModel, gpuCount, vcpus, family]) => [name.toLowerCase(), { provider, name, gpuModel, gpuCount, vcpus, family }]),
  );
}

const catalog: Record<CloudProvider, Map<string, GpuMachineType>> = {
  aws: index('aws', awsRows),
  azure: index('azure', azureRows),
  gcp: index('gcp', gcpRows),
};

/** The GPU machine type by its provider name (case-insensitive; Azure names with or without `Standard_`). */
export function gpuMachineType(provider: CloudProvider, name: string | null | undefined): GpuMachineType | undefined {
  if (!name) return undefined;
  const key = name.trim().toLowerCase();
  const found = catalog[provider].get(key);
  if (found || provider !== 'azure') return found;
  return catalog.azure.get(key.startsWith('standard_') ? key : `standard_${key}`);
}

/** Every GPU machine type of a provider, for building price and capacity queries. */
export function gpuMachineTypes(provider: CloudProvider): GpuMachineType[] {
  return [...catalog[provider].values()];
}

/** AWS instance families that carry GPUs, as used in EC2 filters (`p5.*`). */
export const awsGpuFamilies = ['p4d', 'p4de', 'p5', 'p5e', 'p5en', 'p6-b200', 'g4dn', 'g5', 'g6', 'g6e'] as const;

/**
 * The GPU model named in free text: Google Cloud SKU descriptions ("Nvidia H100 80GB GPU running in Americas",
 * "Spot Preemptible Nvidia Tesla A100 80GB GPU running in EMEA", "Commitment v1: Nvidia L4 GPU ..."),
 * Azure meter and product names ("ND96isr H100 v5"), nvidia-smi names ("NVIDIA H100 80GB HBM3").
 */
export function gpuModelFromText(text: string | null | undefined): GpuModel | undefined {
  if (!text) return undefined;
  const t = text.toUpperCase();
  if (/\bGB200\b|\bB200\b/.test(t)) return 'B200';
  if (/\bH200\b/.test(t)) return 'H200';
  if (/\bH100\b/.test(t)) return /\bNVL\b/.test(t) ? 'H100-NVL' : 'H100';
  if (/\bA100\b/.test(t)) return /\b80\s?GB\b|\bA100[-_ ]?80G/.test(t) ? 'A100-80GB' : 'A100-40GB';
  if (/\bL40S\b/.test(t)) return 'L40S';
  if (/\bL4\b/.test(t)) return 'L4';
  if (/\bA10G\b/.test(t)) return 'A10G';
  if (/\bA10\b/.test(t)) return 'A10';
  if (/\bT4\b/.test(t)) return 'T4';
  if (/\bV100\b/.test(t)) return 'V100';
  return undefined;
}

export type GcpSkuUsage = 'on-demand' | 'spot' | 'commitment';

export interface GcpGpuSku {
  gpuModel: GpuModel;
  usage: GcpSkuUsage;
  /** "Americas", "EMEA", "APAC" or a region name, when the description names one. */
  location: string | undefined;
}

/**
 * Reads a Google Cloud Billing Catalog GPU SKU description. Descriptions that are not about a GPU (cores, RAM,
 * "GPU Commitment"-less text) answer `undefined`.
 */
export function gcpGpuSkuFromDescription(description: string | null | undefined): GcpGpuSku | undefined {
  if (!description || !/\bGPU\b/i.test(description)) return undefined;
  const gpuModel = gpuModelFromText(description);
  if (!gpuModel) return undefined;
  const usage: GcpSkuUsage = /\bcommitment\b/i.test(description)
    ? 'commitment'
    : /\b(spot|preemptible)\b/i.test(description)
      ? 'spot'
      : 'on-demand';
  const location = /\brunning in (.+)$/i.exec(description)?.[1]?.trim();
  return { gpuModel, usage, location };
}
