import { gpuMachineTypes } from '../../shared/domain/providers/gpu-catalog.js';
import { multiplyDecimal, parseDecimal, roundDecimal } from '../../shared/domain/core/money.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, json, originOf } from './http.js';
import { type SimulatedOrganization, azureOnDemandRate, decimalNumber, noise } from './simulation.js';

/**
 * Azure Retail Prices (`GET /api/retail/prices?$filter=...`): Items, `NextPageLink` with `$skip`, an OData
 * subset for `$filter` (`eq`, `contains(...)`, `and`, `or`, parentheses).
 */
const regions: Record<string, string> = { eastus: 'US East', westus3: 'US West 3', westeurope: 'EU West' };

type Item = Record<string, string | number | boolean>;

function id(...parts: string[]): string {
  const hex = (salt: string) =>
    Math.floor(noise(salt, ...parts) * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
  return `${hex('a')}-${hex('b').slice(0, 4)}-4${hex('c').slice(0, 3)}-8${hex('d').slice(0, 3)}-${hex('e')}${hex('f').slice(0, 4)}`;
}

export function retailPriceItems(organization: SimulatedOrganization): Item[] {
  const now = new Date(organization.now);
  const effectiveStartDate = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().replace('.000Z', 'Z');
  const items: Item[] = [];
  const sizes = [
    ...gpuMachineTypes('azure').map((t) => ({ armSkuName: t.name, family: t.family })),
    { armSkuName: 'Standard_D4s_v5', family: 'Dsv5' },
  ];
  for (const [region, location] of Object.entries(regions)) {
    for (const { armSkuName, family } of sizes) {
      const meter = armSkuName.replace(/^Standard_/, '').replace(/_/g, ' ');
      const rate = azureOnDemandRate(armSkuName);
      const skuId = `DZH318Z0${Math.floor(noise('sku', armSkuName) * 1e4)
        .toString(36)
        .toUpperCase()
        .padStart(4, '0')}`;
      const base = {
        currencyCode: 'USD',
        tierMinimumUnits: 0,
        armRegionName: region,
        location,
        effectiveStartDate,
        productId: `DZH318Z0${family.replace(/\W/g, '').slice(0, 4).toUpperCase()}`,
        serviceName: 'Virtual Machines',
        serviceId: 'DZH313Z7MMC8',
        serviceFamily: 'Compute',
        unitOfMeasure: '1 Hour',
        isPrimaryMeterRegion: true,
        armSkuName,
      };
      const add = (
        variant: string,
        type: string,
        price: ReturnType<typeof parseDecimal>,
        product: string,
        skuName: string,
        extra: Item = {},
      ) =>
        items.push({
          ...base,
          retailPrice: decimalNumber(price),
          unitPrice: decimalNumber(price),
          meterId: id(region, armSkuName, variant),
          meterName: skuName,
          productName: product,
          skuId: `${skuId}/${variant}`,
          skuName,
          type,
          ...extra,
        });
      const series = `${family} Series`;
      add('0001', 'Consumption', rate, series, meter);
      add('0002', 'Consumption', roundDecimal(multiplyDecimal(rate, parseDecimal('0.4')), 4), series, `${meter} Spot`);
      add('0003', 'Consumption', roundDecimal(multiplyDecimal(rate, parseDecimal('0.2')), 4), series, `${meter} Low Priority`);
      add('0004', 'Consumption', rate + parseDecimal('0.92'), `${series} Windows`, meter);
      add('0005', 'DevTestConsumption', rate, `${series} Windows`, meter);
      add('0006', 'Reservation', roundDecimal(multiplyDecimal(rate * 8760n, parseDecimal('0.5916')), 0), series, meter, {
        reservationTerm: '1 Year',
      });
      add('0007', 'Reservation', roundDecimal(multiplyDecimal(rate * 26_280n, parseDecimal('0.4')), 0), series, meter, {
        reservationTerm: '3 Years',
      });
    }
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------------
// A small OData $filter evaluator.

type Predicate = (item: Item) => boolean;

function parseFilter(text: string): Predicate {
  const tokens = text.match(/'(?:[^']|'')*'|\(|\)|,|[A-Za-z_][A-Za-z0-9_]*|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const token = tokens[i++];
    if (token === undefined || (expected && token.toLowerCase() !== expected)) throw new Error(`Expected ${expected ?? 'a token'} at ${i}`);
    return token;
  };
  const literal = (token: string) => {
    if (!/^'.*'$/.test(token)) throw new Error(`Expected a string literal, got ${token}`);
    return token.slice(1, -1).replace(/''/g, "'");
  };
  const primary = (): Predicate => {
    const token = take();
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token.toLowerCase() === 'contains') {
      take('(');
      const field = take();
      take(',');
      const value = literal(take());
      take(')');
      return (item) =>
        String(item[field] ?? '')
          .toLowerCase()
          .includes(value.toLowerCase());
    }
    const field = token;
    const op = take().toLowerCase();
    const value = literal(take());
    if (op === 'eq') return (item) => String(item[field] ?? '') === value;
    if (op === 'ne') return (item) => String(item[field] ?? '') !== value;
    throw new Error(`Unsupported operator ${op}`);
  };
  const and = (): Predicate => {
    let left = primary();
    while (peek()?.toLowerCase() === 'and') {
      take();
      const l = left;
      const r = primary();
      left = (item) => l(item) && r(item);
    }
    return left;
  };
  const or = (): Predicate => {
    let left = and();
    while (peek()?.toLowerCase() === 'or') {
      take();
      const l = left;
      const r = and();
      left = (item) => l(item) || r(item);
    }
    return left;
  };
  const predicate = or();
  if (i !== tokens.length) throw new Error(`Unexpected ${tokens[i]}`);
  return predicate;
}

export function retailPricesService(
  organization: SimulatedOrganization,
  faults: FaultControls,
  options: { pageSize: number },
): ServiceHandler {
  const items = retailPriceItems(organization);
  return (request): Reply => {
    if (request.method !== 'GET' || request.url.pathname !== '/api/retail/prices')
      return json(404, { Error: { Code: 'NotFound', Message: 'Not found' } });
    const fault = faults.next('azure-retail-prices');
    if (fault?.kind === 'throttle')
      return json(
        429,
        { Error: { Code: 'TooManyRequests', Message: 'Too many requests' } },
        { 'retry-after': String(fault.retryAfterSeconds) },
      );
    if (fault?.kind === 'fail') return json(500, { Error: { Code: 'InternalServerError', Message: 'Internal server error' } });
    if (fault?.kind === 'malformed')
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"BillingCurrency":"USD","Items":[{"currencyCode":"USD","retailPrice":98.',
      };
    const params = request.url.searchParams;
    let predicate: Predicate = () => true;
    const filter = params.get('$filter');
    if (filter) {
      try {
        predicate = parseFilter(filter);
      } catch (error) {
        return json(400, { Error: { Code: 'BadRequest', Message: `Invalid $filter: ${(error as Error).message}` } });
      }
    }
    const skip = Number(params.get('$skip') ?? '0');
    if (!Number.isInteger(skip) || skip < 0) return json(400, { Error: { Code: 'BadRequest', Message: 'Invalid $skip' } });
    const matching = items.filter(predicate);
    const slice = matching.slice(skip, skip + options.pageSize);
    let nextPageLink: string | null = null;
    if (skip + options.pageSize < matching.length) {
      const next = new URL(`${originOf(request)}/api/retail/prices`);
      for (const [key, value] of params) if (key !== '$skip') next.searchParams.set(key, value);
      next.searchParams.set('$skip', String(skip + options.pageSize));
      nextPageLink = next.toString();
    }
    return json(200, {
      BillingCurrency: 'USD',
      CustomerEntityId: 'Default',
      CustomerEntityType: 'Retail',
      Items: slice,
      NextPageLink: nextPageLink,
      Count: slice.length,
    });
  };
}
