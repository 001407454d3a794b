import { gpuMachineTypes } from '../../shared/domain/providers/gpu-catalog.js';
import { divideDecimalByInteger, formatDecimal, multiplyDecimal, parseDecimal, roundDecimal } from '../../shared/domain/core/money.js';
import { awsJson, awsJsonError, awsJsonFault, isReply, readAwsJsonCall } from './aws-json.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, decodeToken, encodeToken } from './http.js';
import { type SimulatedOrganization, awsOnDemandRate } from './simulation.js';

/**
 * AWS Price List query API (`AWSPriceListService.GetProducts`): products of AmazonEC2 with their OnDemand and
 * Reserved terms, each PriceList entry a JSON string. TERM_MATCH filters on product attributes.
 */
const regions: Record<string, string> = { 'us-east-1': 'US East (N. Virginia)', 'us-west-2': 'US West (Oregon)' };

function sku(...parts: string[]): string {
  let h = 7;
  for (const ch of parts.join('|')) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h.toString(36).toUpperCase().padStart(7, 'X').slice(0, 7) + 'GPU' + (h % 997).toString().padStart(3, '0');
}

function product(
  instanceType: string,
  vcpus: number,
  gpus: number,
  regionCode: string,
  operatingSystem: string,
  effectiveDate: string,
): Record<string, unknown> {
  const code = sku(instanceType, regionCode, operatingSystem);
  const hourly = awsOnDemandRate(instanceType) + (operatingSystem === 'Windows' ? (parseDecimal(vcpus) * 46n) / 1000n : 0n);
  const hourlyText = formatDecimal(hourly);
  const onDemand = {
    [`${code}.JRTCKXETXF`]: {
      offerTermCode: 'JRTCKXETXF',
      sku: code,
      effectiveDate,
      priceDimensions: {
        [`${code}.JRTCKXETXF.6YS6EN2CT7`]: {
          unit: 'Hrs',
          endRange: 'Inf',
          description: `$${hourlyText} per On Demand ${operatingSystem} ${instanceType} Instance Hour`,
          appliesTo: [],
          rateCode: `${code}.JRTCKXETXF.6YS6EN2CT7`,
          beginRange: '0',
          pricePerUnit: { USD: Number(hourlyText).toFixed(10) },
        },
      },
      termAttributes: {},
    },
  };
  const oneYearHourly = roundDecimal(multiplyDecimal(hourly, parseDecimal('0.62')), 4);
  const threeYearUpfront = roundDecimal(multiplyDecimal(hourly * 26_280n, parseDecimal('0.4')), 0);
  const reserved = {
    [`${code}.4NA7Y494T4`]: {
      offerTermCode: '4NA7Y494T4',
      sku: code,
      effectiveDate,
      priceDimensions: {
        [`${code}.4NA7Y494T4.6YS6EN2CT7`]: {
          unit: 'Hrs',
          endRange: 'Inf',
          description: 'Linux/UNIX (Amazon VPC), No Upfront',
          appliesTo: [],
          rateCode: `${code}.4NA7Y494T4.6YS6EN2CT7`,
          beginRange: '0',
          pricePerUnit: { USD: Number(formatDecimal(oneYearHourly)).toFixed(10) },
        },
      },
      termAttributes: { LeaseContractLength: '1yr', OfferingClass: 'standard', PurchaseOption: 'No Upfront' },
    },
    [`${code}.NQ3QZPMQV9`]: {
      offerTermCode: 'NQ3QZPMQV9',
      sku: code,
      effectiveDate,
      priceDimensions: {
        [`${code}.NQ3QZPMQV9.2TG2D8R56U`]: {
          unit: 'Quantity',
          description: 'Upfront Fee',
          appliesTo: [],
          rateCode: `${code}.NQ3QZPMQV9.2TG2D8R56U`,
          pricePerUnit: { USD: formatDecimal(threeYearUpfront) },
        },
        [`${code}.NQ3QZPMQV9.6YS6EN2CT7`]: {
          unit: 'Hrs',
          endRange: 'Inf',
          description: 'USD 0.0 per Linux/UNIX (Amazon VPC), All Upfront',
          appliesTo: [],
          rateCode: `${code}.NQ3QZPMQV9.6YS6EN2CT7`,
          beginRange: '0',
          pricePerUnit: { USD: '0.0000000000' },
        },
      },
      termAttributes: { LeaseContractLength: '3yr', OfferingClass: 'standard', PurchaseOption: 'All Upfront' },
    },
  };
  return {
    product: {
      productFamily: 'Compute Instance',
      attributes: {
        instanceType,
        instanceFamily: 'GPU instance',
        regionCode,
        location: regions[regionCode],
        locationType: 'AWS Region',
        operatingSystem,
        tenancy: 'Shared',
        preInstalledSw: 'NA',
        capacitystatus: 'Used',
        licenseModel: 'No License required',
        vcpu: String(vcpus),
        gpu: String(gpus),
        servicecode: 'AmazonEC2',
        usagetype: `${regionCode === 'us-east-1' ? '' : 'USW2-'}BoxUsage:${instanceType}`,
        operation: operatingSystem === 'Linux' ? 'RunInstances' : 'RunInstances:0002',
      },
      sku: code,
    },
    serviceCode: 'AmazonEC2',
    terms: operatingSystem === 'Linux' ? { OnDemand: onDemand, Reserved: reserved } : { OnDemand: onDemand },
    version: '20261101000000',
    publicationDate: effectiveDate,
  };
}

export function pricingService(organization: SimulatedOrganization, faults: FaultControls): ServiceHandler {
  const effectiveDate = new Date(Date.UTC(new Date(organization.now).getUTCFullYear(), new Date(organization.now).getUTCMonth(), 1))
    .toISOString()
    .replace('.000Z', 'Z');
  const products = Object.keys(regions).flatMap((region) =>
    gpuMachineTypes('aws').flatMap((type) => [
      product(type.name, type.vcpus, type.gpuCount, region, 'Linux', effectiveDate),
      ...(type.name === 'p5.48xlarge' ? [product(type.name, type.vcpus, type.gpuCount, region, 'Windows', effectiveDate)] : []),
    ]),
  );
  // A non-GPU product so filters have something to leave out.
  products.push({ ...product('m7i.large', 2, 0, 'us-east-1', 'Linux', effectiveDate) });
  return (request): Reply => {
    const call = readAwsJsonCall(request, 'AWSPriceListService');
    if (isReply(call)) return call;
    if (call.operation !== 'GetProducts') return awsJsonError(400, 'UnknownOperationException', `Unsupported operation ${call.operation}`);
    const fault = faults.next('aws-pricing');
    if (fault) return awsJsonFault(fault, 'ThrottlingException', '{"FormatVersion":"aws_v1","PriceList":["{\\"product\\":{');
    const input = call.input as {
      ServiceCode?: string;
      Filters?: Array<{ Type?: string; Field?: string; Value?: string }>;
      MaxResults?: number;
      NextToken?: string;
      FormatVersion?: string;
    };
    if (input.ServiceCode !== 'AmazonEC2') return awsJsonError(400, 'InvalidParameterException', 'Only AmazonEC2 is simulated');
    const filters = input.Filters ?? [];
    if (filters.some((f) => f.Type !== 'TERM_MATCH' || !f.Field))
      return awsJsonError(400, 'InvalidParameterException', 'Filters must be TERM_MATCH with a Field');
    const matching = products.filter((p) => {
      const attributes = (p.product as { attributes: Record<string, string> }).attributes;
      return filters.every((f) => attributes[f.Field!] === f.Value);
    });
    const max = input.MaxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) return awsJsonError(400, 'InvalidParameterException', 'MaxResults must be 1..100');
    let offset = 0;
    if (input.NextToken) {
      const token = decodeToken<{ o: number }>(input.NextToken);
      if (!token || !Number.isInteger(token.o)) return awsJsonError(400, 'InvalidNextTokenException', 'The NextToken is invalid');
      offset = token.o;
    }
    const slice = matching.slice(offset, offset + max);
    return awsJson({
      FormatVersion: 'aws_v1',
      PriceList: slice.map((p) => JSON.stringify(p)),
      ...(offset + max < matching.length ? { NextToken: encodeToken({ o: offset + max }) } : {}),
    });
  };
}

/** For tests: the hourly on-demand price the simulated price list gives a type. */
export function simulatedAwsOnDemandPrice(instanceType: string): string {
  return formatDecimal(awsOnDemandRate(instanceType));
}

/** For tests: 3-year All Upfront effective hourly price of a Linux type. */
export function simulatedAwsThreeYearHourly(instanceType: string): string {
  const upfront = roundDecimal(multiplyDecimal(awsOnDemandRate(instanceType) * 26_280n, parseDecimal('0.4')), 0);
  return formatDecimal(divideDecimalByInteger(upfront, 26_280));
}
