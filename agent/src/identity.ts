/**
 * Host identity from the cloud's instance metadata service, so that `host.instanceId` joins the billing data:
 * AWS `i-…` (billing ResourceId / line_item_resource_id), Azure the full ARM resource id lowercased (Cost Management
 * ResourceId, compared case-insensitively), GCP the numeric instance id (billing export resource.name ends with it).
 * Every probe has a short timeout; when none answers the host is identified by its hostname only.
 */
import os from 'node:os';
import { httpRequest } from './http-client.js';
import type { HostDescription, Provider } from './wire.js';

export interface MetadataEndpoints {
  /** AWS IMDSv2 base, default http://169.254.169.254 */
  aws: string;
  /** Azure IMDS base, default http://169.254.169.254 */
  azure: string;
  /** GCE metadata server base, default http://169.254.169.254 (the address metadata.google.internal resolves to; no DNS needed) */
  gcp: string;
}

export const DEFAULT_METADATA_ENDPOINTS: MetadataEndpoints = {
  aws: 'http://169.254.169.254',
  azure: 'http://169.254.169.254',
  gcp: 'http://169.254.169.254',
};

export type CloudIdentity = Required<Pick<HostDescription, 'provider' | 'instanceId'>> &
  Pick<HostDescription, 'instanceType' | 'region'> & { availabilityZone?: string };

function trimBase(base: string): string {
  return base.replace(/\/+$/, '');
}

export async function probeAws(base: string, timeoutMs: number): Promise<CloudIdentity | undefined> {
  const root = trimBase(base);
  const tokenRes = await httpRequest(`${root}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' },
    timeoutMs,
  });
  if (tokenRes.status !== 200 || tokenRes.body.trim() === '') return undefined;
  const token = tokenRes.body.trim();
  const get = async (path: string): Promise<string | undefined> => {
    const res = await httpRequest(`${root}/latest/meta-data/${path}`, {
      headers: { 'X-aws-ec2-metadata-token': token },
      timeoutMs,
    });
    return res.status === 200 && res.body.trim() !== '' ? res.body.trim() : undefined;
  };
  const [instanceId, instanceType, region, availabilityZone] = await Promise.all([
    get('instance-id'),
    get('instance-type'),
    get('placement/region'),
    get('placement/availability-zone'),
  ]);
  if (!instanceId || !/^i-[0-9a-f]+$/.test(instanceId)) return undefined;
  const identity: CloudIdentity = { provider: 'aws', instanceId };
  if (instanceType) identity.instanceType = instanceType;
  const resolvedRegion = region ?? availabilityZone?.replace(/[a-z]$/, '');
  if (resolvedRegion) identity.region = resolvedRegion;
  if (availabilityZone) identity.availabilityZone = availabilityZone;
  return identity;
}

interface AzureInstanceDocument {
  compute?: { resourceId?: string; vmSize?: string; location?: string; zone?: string; vmId?: string };
}

export async function probeAzure(base: string, timeoutMs: number): Promise<CloudIdentity | undefined> {
  const res = await httpRequest(`${trimBase(base)}/metadata/instance?api-version=2021-02-01`, {
    headers: { Metadata: 'true' },
    timeoutMs,
  });
  if (res.status !== 200) return undefined;
  let doc: AzureInstanceDocument;
  try {
    doc = JSON.parse(res.body) as AzureInstanceDocument;
  } catch {
    return undefined;
  }
  const resourceId = doc.compute?.resourceId;
  if (typeof resourceId !== 'string' || !resourceId.toLowerCase().startsWith('/subscriptions/')) return undefined;
  const identity: CloudIdentity = { provider: 'azure', instanceId: resourceId.toLowerCase() };
  if (doc.compute?.vmSize) identity.instanceType = doc.compute.vmSize;
  if (doc.compute?.location) identity.region = doc.compute.location;
  if (doc.compute?.zone) identity.availabilityZone = doc.compute.zone;
  return identity;
}

export async function probeGcp(base: string, timeoutMs: number): Promise<CloudIdentity | undefined> {
  const root = `${trimBase(base)}/computeMetadata/v1/instance`;
  const get = async (path: string): Promise<string | undefined> => {
    const res = await httpRequest(`${root}/${path}`, { headers: { 'Metadata-Flavor': 'Google' }, timeoutMs });
    // The real server answers with the Metadata-Flavor: Google header; anything else is not GCE.
    if (res.status !== 200 || res.headers['metadata-flavor'] !== 'Google') return undefined;
    return res.body.trim() || undefined;
  };
  const [instanceId, machineType, zone] = await Promise.all([get('id'), get('machine-type'), get('zone')]);
  if (!instanceId || !/^\d+$/.test(instanceId)) return undefined;
  const identity: CloudIdentity = { provider: 'gcp', instanceId };
  // "projects/123456789/machineTypes/a3-highgpu-8g" → "a3-highgpu-8g"; "projects/…/zones/us-central1-a" → "us-central1".
  if (machineType) identity.instanceType = machineType.split('/').pop()!;
  if (zone) {
    const zoneName = zone.split('/').pop()!;
    identity.availabilityZone = zoneName;
    identity.region = zoneName.replace(/-[a-z]$/, '');
  }
  return identity;
}

const probes: Record<'aws' | 'azure' | 'gcp', typeof probeAws> = { aws: probeAws, azure: probeAzure, gcp: probeGcp };

/** Probe the three clouds at once; the first in the order AWS, Azure, GCP that answers in its own format wins. */
export async function detectCloudIdentity(
  endpoints: MetadataEndpoints,
  timeoutMs: number,
  only?: 'aws' | 'azure' | 'gcp',
): Promise<CloudIdentity | undefined> {
  const order = only ? [only] : (['aws', 'azure', 'gcp'] as const);
  const results = await Promise.all(order.map((cloud) => probes[cloud](endpoints[cloud], timeoutMs).catch(() => undefined)));
  return results.find((r) => r !== undefined);
}

/** Characters the ingest API allows in hostId and pool. */
export function sanitizeIdentifier(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._:@/-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 128) || 'host';
}

export interface HostIdentityOptions {
  hostId?: string;
  provider?: Provider | 'auto' | 'none';
  pool?: string;
  labels?: Record<string, string>;
  endpoints: MetadataEndpoints;
  timeoutMs: number;
  /** Overrides taken as given (for hosts whose metadata service is blocked). */
  instanceId?: string;
  instanceType?: string;
  region?: string;
}

export async function resolveHost(options: HostIdentityOptions): Promise<{ host: HostDescription; detected?: CloudIdentity }> {
  const provider = options.provider ?? 'auto';
  let detected: CloudIdentity | undefined;
  if (provider === 'auto') detected = await detectCloudIdentity(options.endpoints, options.timeoutMs);
  else if (provider === 'aws' || provider === 'azure' || provider === 'gcp')
    detected = await detectCloudIdentity(options.endpoints, options.timeoutMs, provider);
  const host: HostDescription = { hostId: sanitizeIdentifier(options.hostId ?? os.hostname()) };
  const instanceId = options.instanceId ?? detected?.instanceId;
  if (instanceId) host.instanceId = instanceId;
  const instanceType = options.instanceType ?? detected?.instanceType;
  if (instanceType) host.instanceType = instanceType;
  const resolvedProvider = provider === 'auto' || provider === 'none' ? detected?.provider : provider;
  if (resolvedProvider) host.provider = resolvedProvider;
  const region = options.region ?? detected?.region;
  if (region) host.region = region;
  if (options.pool) host.pool = sanitizeIdentifier(options.pool);
  if (options.labels && Object.keys(options.labels).length > 0) host.labels = options.labels;
  return { host, detected };
}
