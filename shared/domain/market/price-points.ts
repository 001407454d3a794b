import { type CloudProvider, type GpuModel, gcpGpuSkuFromDescription, gpuMachineType } from '../providers/gpu-catalog.js';
import { type Decimal, InvalidDecimalError, divideDecimalByInteger, formatDecimal, parseDecimal } from '../core/money.js';
import { malformedReply } from '../providers/provider-errors.js';

/**
 * What the market charges for GPUs: one price of one offering at one time. Prices are exact decimal strings.
 * `observedAt` is the provider's own effective time of the price (the spot-price timestamp, the price list's
 * effective date), so re-collecting the same prices yields the same keys.
 */
export type GpuPriceCategory = 'on-demand' | 'spot' | 'reserved' | 'capacity-block';
export type CommitmentTerm = '1yr' | '3yr';

export interface GpuPricePoint {
  /** `<provider>#<region>#<zone>#<instanceType or sku>#<category>#<term>#<variant>#<observedAt>`. */
  key: string;
  provider: CloudProvider;
  region: string;
  zone: string | null;
  instanceType: string | null;
  /** The provider's SKU or price-list id when the price is per SKU (Google Cloud GPU SKUs, AWS price list SKU). */
  sku: string | null;
  gpuModel: GpuModel;
  gpuCount: number;
  pricingCategory: GpuPriceCategory;
  term: CommitmentTerm | null;
  /** What else distinguishes the offer: `Linux/UNIX`, `standard/No Upfront`. */
  variant: string | null;
  pricePerHour: string;
  pricePerGpuHour: string;
  currency: string;
  observedAt: string;
  /** The API it came from: `ec2:DescribeSpotPriceHistory`, `pricing:GetProducts`, `azure:retail-prices`, `gcp:cloudbilling.skus`. */
  source: string;
}

const HOURS_PER_YEAR = 8760;

function pricePoint(fields: Omit<GpuPricePoint, 'key' | 'pricePerGpuHour' | 'pricePerHour'> & { pricePerHour: Decimal }): GpuPricePoint {
  const pricePerHour = formatDecimal(fields.pricePerHour);
  const pricePerGpuHour = formatDecimal(divideDecimalByInteger(fields.pricePerHour, fields.gpuCount));
  const key = [
    fields.provider,
    fields.region,
    fields.zone ?? '-',
    fields.instanceType ?? fields.sku ?? '-',
    fields.pricingCategory,
    fields.term ?? '-',
    fields.variant ?? '-',
    fields.observedAt,
  ].join('#');
  return { ...fields, key, pricePerHour, pricePerGpuHour };
}

function isoTime(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  if (value && typeof value === 'object' && 'seconds' in value) {
    // protobuf Timestamp as the Google client returns it: { seconds: "1730419200", nanos: 0 }.
    const seconds = Number((value as { seconds: unknown }).seconds);
    const nanos = Number((value as { nanos?: unknown }).nanos ?? 0);
    return Number.isFinite(seconds) ? new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString() : null;
  }
  return null;
}

function price(value: unknown, provider: CloudProvider, operation: string, path: string): Decimal {
  if (typeof value === 'string' || typeof value === 'number') {
    try {
      const parsed = parseDecimal(value);
      if (parsed >= 0n) return parsed;
    } catch (error) {
      if (!(error instanceof InvalidDecimalError)) throw error;
    }
  }
  throw malformedReply(provider, operation, `expected a non-negative price, got ${JSON.stringify(value)}`, path);
}

// ---------------------------------------------------------------------------------------------------------
// AWS EC2 DescribeSpotPriceHistory

export interface Ec2SpotPrice {
  AvailabilityZone?: string;
  InstanceType?: string;
  ProductDescription?: string;
  SpotPrice?: string;
  Timestamp?: Date | string;
}

/** Spot price history items → price points; items for non-GPU instance types are skipped. */
export function spotPricePointsFromEc2(items: Ec2SpotPrice[], context: { region: string }): GpuPricePoint[] {
  const operation = 'EC2.DescribeSpotPriceHistory';
  const out: GpuPricePoint[] = [];
  items.forEach((item, i) => {
    const path = `SpotPriceHistory[${i}]`;
    const type = gpuMachineType('aws', item.InstanceType);
    if (!type) return;
    const observedAt = isoTime(item.Timestamp);
    if (!observedAt) throw malformedReply('aws', operation, `unreadable Timestamp ${JSON.stringify(item.Timestamp)}`, `${path}.Timestamp`);
    if (!item.AvailabilityZone) throw malformedReply('aws', operation, 'AvailabilityZone is missing', `${path}.AvailabilityZone`);
    out.push(
      pricePoint({
        provider: 'aws',
        region: context.region,
        zone: item.AvailabilityZone,
        instanceType: type.name,
        sku: null,
        gpuModel: type.gpuModel,
        gpuCount: type.gpuCount,
        pricingCategory: 'spot',
        term: null,
        variant: item.ProductDescription ?? null,
        pricePerHour: price(item.SpotPrice, 'aws', operation, `${path}.SpotPrice`),
        currency: 'USD',
        observedAt,
        source: 'ec2:DescribeSpotPriceHistory',
      }),
    );
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// AWS Price List (pricing:GetProducts, ServiceCode AmazonEC2)

interface AwsPriceDimension {
  unit?: string;
  pricePerUnit?: Record<string, string>;
  description?: string;
}
interface AwsTerm {
  effectiveDate?: string;
  priceDimensions?: Record<string, AwsPriceDimension>;
  termAttributes?: Record<string, string>;
}
interface AwsPriceListItem {
  product?: { sku?: string; productFamily?: string; attributes?: Record<string, string> };
  terms?: { OnDemand?: Record<string, AwsTerm>; Reserved?: Record<string, AwsTerm> };
}

/**
 * One GetProducts PriceList entry (a JSON string) → price points: the on-demand hourly price and the
 * reserved-instance effective hourly prices (upfront fee spread over the term). Only Linux, shared tenancy,
 * no pre-installed software, `capacitystatus: Used`, GPU instance types; anything else yields nothing.
 */
export function pricePointsFromAwsPriceList(entry: unknown, index = 0): GpuPricePoint[] {
  const operation = 'Pricing.GetProducts';
  const path = `PriceList[${index}]`;
  let item: AwsPriceListItem;
  try {
    item = (
      typeof entry === 'string' ? JSON.parse(entry) : typeof entry === 'object' && entry !== null ? entry : JSON.parse(String(entry))
    ) as AwsPriceListItem;
  } catch (error) {
    throw malformedReply('aws', operation, 'a PriceList entry is not JSON', path, error);
  }
  const attributes = item?.product?.attributes;
  if (!attributes || typeof attributes !== 'object')
    throw malformedReply('aws', operation, 'product.attributes is missing', `${path}.product.attributes`);
  if (attributes.operatingSystem !== 'Linux' || attributes.tenancy !== 'Shared') return [];
  if ((attributes.preInstalledSw ?? 'NA') !== 'NA' || (attributes.capacitystatus ?? 'Used') !== 'Used') return [];
  const type = gpuMachineType('aws', attributes.instanceType);
  if (!type) return [];
  const region = attributes.regionCode;
  if (!region) throw malformedReply('aws', operation, 'regionCode is missing', `${path}.product.attributes.regionCode`);
  const base = {
    provider: 'aws' as const,
    region,
    zone: null,
    instanceType: type.name,
    sku: item.product?.sku ?? null,
    gpuModel: type.gpuModel,
    gpuCount: type.gpuCount,
    source: 'pricing:GetProducts',
  };
  const out: GpuPricePoint[] = [];
  for (const [termKey, term] of Object.entries(item.terms?.OnDemand ?? {})) {
    const termPath = `${path}.terms.OnDemand.${termKey}`;
    const hourly = Object.entries(term.priceDimensions ?? {}).find(([, d]) => d.unit === 'Hrs');
    if (!hourly) continue;
    const [currency, amount] = firstPrice(hourly[1], operation, `${termPath}.priceDimensions.${hourly[0]}`);
    const observedAt = isoTime(term.effectiveDate);
    if (!observedAt) throw malformedReply('aws', operation, 'effectiveDate is unreadable', `${termPath}.effectiveDate`);
    out.push(
      pricePoint({ ...base, pricingCategory: 'on-demand', term: null, variant: 'Linux', pricePerHour: amount, currency, observedAt }),
    );
  }
  for (const [termKey, term] of Object.entries(item.terms?.Reserved ?? {})) {
    const termPath = `${path}.terms.Reserved.${termKey}`;
    const length = term.termAttributes?.LeaseContractLength;
    const years = length === '1yr' ? 1 : length === '3yr' ? 3 : undefined;
    if (!years) continue;
    let hourly = 0n;
    let currency = 'USD';
    for (const [dimensionKey, dimension] of Object.entries(term.priceDimensions ?? {})) {
      const [unitCurrency, amount] = firstPrice(dimension, operation, `${termPath}.priceDimensions.${dimensionKey}`);
      currency = unitCurrency;
      if (dimension.unit === 'Hrs') hourly += amount;
      else if (dimension.unit === 'Quantity') hourly += divideDecimalByInteger(amount, years * HOURS_PER_YEAR);
    }
    const observedAt = isoTime(term.effectiveDate);
    if (!observedAt) throw malformedReply('aws', operation, 'effectiveDate is unreadable', `${termPath}.effectiveDate`);
    const variant = `${term.termAttributes?.OfferingClass ?? 'standard'}/${term.termAttributes?.PurchaseOption ?? 'No Upfront'}`;
    out.push(
      pricePoint({
        ...base,
        pricingCategory: 'reserved',
        term: length as CommitmentTerm,
        variant,
        pricePerHour: hourly,
        currency,
        observedAt,
      }),
    );
  }
  return out;
}

function firstPrice(dimension: AwsPriceDimension, operation: string, path: string): [string, Decimal] {
  const entries = Object.entries(dimension.pricePerUnit ?? {});
  const [currency, amount] = entries.find(([c]) => c === 'USD') ?? entries[0] ?? [];
  if (!currency) throw malformedReply('aws', operation, 'pricePerUnit is empty', `${path}.pricePerUnit`);
  return [currency, price(amount, 'aws', operation, `${path}.pricePerUnit.${currency}`)];
}

// ---------------------------------------------------------------------------------------------------------
// Azure Retail Prices

export interface AzureRetailPriceItem {
  currencyCode?: string;
  retailPrice?: number;
  unitPrice?: number;
  armRegionName?: string;
  location?: string;
  effectiveStartDate?: string;
  meterId?: string;
  meterName?: string;
  productName?: string;
  skuId?: string;
  skuName?: string;
  serviceName?: string;
  unitOfMeasure?: string;
  type?: string;
  armSkuName?: string;
  reservationTerm?: string;
}

/**
 * One Retail Prices item → a price point, or null when it is not a Linux GPU VM price (Windows, DevTest,
 * Low Priority, non-GPU sizes). Spot is told by "Spot" in skuName or meterName; reservation prices are for the
 * whole term and become hourly over 8,760 hours a year.
 */
export function pricePointFromAzureRetailItem(item: AzureRetailPriceItem, index = 0): GpuPricePoint | null {
  const operation = 'RetailPrices.list';
  const path = `Items[${index}]`;
  if (typeof item !== 'object' || item === null) throw malformedReply('azure', operation, 'an item is not an object', path);
  if (item.serviceName !== 'Virtual Machines') return null;
  if (/windows/i.test(item.productName ?? '') || item.type === 'DevTestConsumption') return null;
  if (/low priority/i.test(`${item.skuName ?? ''} ${item.meterName ?? ''}`)) return null;
  const type = gpuMachineType('azure', item.armSkuName);
  if (!type) return null;
  if (!item.armRegionName) throw malformedReply('azure', operation, 'armRegionName is missing', `${path}.armRegionName`);
  const currency = item.currencyCode;
  if (!currency || !/^[A-Z]{3}$/.test(currency))
    throw malformedReply('azure', operation, `expected a currency code, got ${JSON.stringify(currency)}`, `${path}.currencyCode`);
  const observedAt = isoTime(item.effectiveStartDate);
  if (!observedAt) throw malformedReply('azure', operation, 'effectiveStartDate is unreadable', `${path}.effectiveStartDate`);
  const amount = price(item.retailPrice ?? item.unitPrice, 'azure', operation, `${path}.retailPrice`);
  let category: GpuPriceCategory;
  let term: CommitmentTerm | null = null;
  let perHour = amount;
  if (item.type === 'Reservation') {
    const years = /^(\d+)\s+years?$/i.exec(item.reservationTerm ?? '')?.[1];
    if (years !== '1' && years !== '3')
      throw malformedReply(
        'azure',
        operation,
        `unknown reservationTerm ${JSON.stringify(item.reservationTerm)}`,
        `${path}.reservationTerm`,
      );
    category = 'reserved';
    term = years === '1' ? '1yr' : '3yr';
    perHour = divideDecimalByInteger(amount, Number(years) * HOURS_PER_YEAR);
  } else if (item.type === 'Consumption') {
    if (!/hour/i.test(item.unitOfMeasure ?? '')) return null;
    category = /\bspot\b/i.test(`${item.skuName ?? ''} ${item.meterName ?? ''}`) ? 'spot' : 'on-demand';
  } else {
    return null;
  }
  return pricePoint({
    provider: 'azure',
    region: item.armRegionName,
    zone: null,
    instanceType: type.name,
    sku: item.skuId ?? null,
    gpuModel: type.gpuModel,
    gpuCount: type.gpuCount,
    pricingCategory: category,
    term,
    variant: 'Linux',
    pricePerHour: perHour,
    currency,
    observedAt,
    source: 'azure:retail-prices',
  });
}

// ---------------------------------------------------------------------------------------------------------
// Google Cloud Billing Catalog (services.skus.list)

export interface GcpMoney {
  currencyCode?: string;
  units?: string | number;
  nanos?: number;
}
export interface GcpSku {
  skuId?: string;
  description?: string;
  category?: { serviceDisplayName?: string; resourceFamily?: string; resourceGroup?: string; usageType?: string };
  serviceRegions?: string[];
  pricingInfo?: Array<{
    effectiveTime?: string | { seconds?: string | number; nanos?: number };
    pricingExpression?: {
      usageUnit?: string;
      baseUnit?: string;
      baseUnitConversionFactor?: number;
      tieredRates?: Array<{ startUsageAmount?: number; unitPrice?: GcpMoney }>;
    };
  }>;
}

/** `units` + `nanos`/1e9, exactly. */
export function gcpMoneyAmount(value: GcpMoney | undefined, path: string): Decimal {
  const units = value?.units ?? '0';
  const nanos = value?.nanos ?? 0;
  if (!/^-?\d+$/.test(String(units)) || !Number.isInteger(nanos) || Math.abs(nanos) >= 1e9) {
    throw malformedReply('gcp', 'CloudCatalog.listSkus', `unreadable money ${JSON.stringify(value)}`, path);
  }
  return parseDecimal(String(units)) + parseDecimal(nanos) / 1_000_000_000n;
}

const hoursPerUnit: Record<string, number> = { h: 1, s: 1 / 3600, min: 1 / 60, d: 24, mo: 730 };

/** One GPU SKU → one price point per service region; non-GPU SKUs yield nothing. */
export function pricePointsFromGcpSku(sku: GcpSku, index = 0): GpuPricePoint[] {
  const operation = 'CloudCatalog.listSkus';
  const path = `skus[${index}]`;
  if (typeof sku !== 'object' || sku === null) throw malformedReply('gcp', operation, 'a SKU is not an object', path);
  if (sku.category?.resourceGroup !== 'GPU') return [];
  const gpu = gcpGpuSkuFromDescription(sku.description);
  if (!gpu) return [];
  const usageType = sku.category?.usageType ?? 'OnDemand';
  let category: GpuPriceCategory;
  let term: CommitmentTerm | null = null;
  if (usageType === 'OnDemand') category = 'on-demand';
  else if (usageType === 'Preemptible') category = 'spot';
  else if (usageType === 'Commit1Yr' || usageType === 'Commit3Yr') {
    category = 'reserved';
    term = usageType === 'Commit1Yr' ? '1yr' : '3yr';
  } else return [];
  const info = sku.pricingInfo?.[sku.pricingInfo.length - 1];
  const expression = info?.pricingExpression;
  if (!expression) throw malformedReply('gcp', operation, 'pricingInfo.pricingExpression is missing', `${path}.pricingInfo`);
  const rates = expression.tieredRates ?? [];
  const rateAt = rates.findIndex((r) => (r.startUsageAmount ?? 0) === 0);
  if (rateAt < 0)
    throw malformedReply('gcp', operation, 'no tiered rate starting at 0', `${path}.pricingInfo.pricingExpression.tieredRates`);
  const rate = rates[rateAt]!;
  const perUsageUnit = gcpMoneyAmount(rate.unitPrice, `${path}.pricingInfo.pricingExpression.tieredRates[${rateAt}].unitPrice`);
  const unitHours = hoursPerUnit[expression.usageUnit ?? ''];
  if (unitHours === undefined)
    throw malformedReply(
      'gcp',
      operation,
      `unknown usageUnit ${JSON.stringify(expression.usageUnit)}`,
      `${path}.pricingInfo.pricingExpression.usageUnit`,
    );
  // Price per hour = price per usage unit × usage units per hour.
  const perHour = unitHours >= 1 ? divideDecimalByInteger(perUsageUnit, unitHours) : perUsageUnit * BigInt(Math.round(1 / unitHours));
  const observedAt = isoTime(info?.effectiveTime);
  if (!observedAt) throw malformedReply('gcp', operation, 'effectiveTime is unreadable', `${path}.pricingInfo.effectiveTime`);
  const currency = rate.unitPrice?.currencyCode || 'USD';
  return (sku.serviceRegions ?? []).map((region) =>
    pricePoint({
      provider: 'gcp',
      region,
      zone: null,
      instanceType: null,
      sku: sku.skuId ?? null,
      gpuModel: gpu.gpuModel,
      gpuCount: 1,
      pricingCategory: category,
      term,
      variant: null,
      pricePerHour: perHour,
      currency,
      observedAt,
      source: 'gcp:cloudbilling.skus',
    }),
  );
}
