import { formatDecimal } from '../../shared/domain/core/money.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, type ServiceRequest, decodeToken, encodeToken, xmlEscape } from './http.js';
import { DAY_MS, SimulatedOrganization, awsOrganization, noise } from './simulation.js';

/**
 * Amazon EC2 query protocol: `POST /` with a form body (`Action=...&Version=2016-11-15&...`), XML replies with
 * lower-camel element names and `<item>` lists, errors as `<Response><Errors><Error>`.
 */
const namespace = 'http://ec2.amazonaws.com/doc/2016-11-15/';
let requestCounter = 0;

function requestId(): string {
  requestCounter++;
  return `11111111-2222-4333-8444-${String(requestCounter).padStart(12, '0')}`;
}

function xmlReply(action: string, inner: string): Reply {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}"><requestId>${requestId()}</requestId>${inner}</${action}Response>`,
  };
}

export function ec2Error(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId()}</RequestID></Response>`,
  };
}

function element(name: string, value: string | number | boolean | undefined | null): string {
  return value === undefined || value === null ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** `InstanceType.1`, `InstanceType.2` ... (and the `Member.N` forms some shapes use). */
function list(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const value = form.get(`${name}.${i}`) ?? form.get(`${name}.member.${i}`);
    if (value === null) return out;
    out.push(value);
  }
}

/** The region the client signed for: `Credential=AKID/20261123/us-east-1/ec2/aws4_request`. */
export function signedRegion(request: ServiceRequest): string {
  const match = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(request.headers.authorization ?? ''));
  return match?.[1] ?? 'us-east-1';
}

interface PageToken {
  o: number;
  a: string;
}

function page<T>(items: T[], form: URLSearchParams, action: string, defaultSize: number): { slice: T[]; next?: string; error?: Reply } {
  const max = form.get('MaxResults') ? Number(form.get('MaxResults')) : defaultSize;
  if (!Number.isInteger(max) || max < 1)
    return { slice: [], error: ec2Error(400, 'InvalidParameterValue', 'MaxResults must be a positive integer') };
  let offset = 0;
  const token = form.get('NextToken');
  if (token) {
    const decoded = decodeToken<PageToken>(token);
    if (!decoded || decoded.a !== action || !Number.isInteger(decoded.o))
      return { slice: [], error: ec2Error(400, 'InvalidNextToken', 'The token is invalid') };
    offset = decoded.o;
  }
  const slice = items.slice(offset, offset + max);
  return { slice, next: offset + max < items.length ? encodeToken({ o: offset + max, a: action }) : undefined };
}

export function ec2Service(organization: SimulatedOrganization, faults: FaultControls): ServiceHandler {
  return (request): Reply => {
    if (request.method !== 'POST') return ec2Error(400, 'InvalidAction', 'Use POST');
    if (!request.headers.authorization) return ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials');
    const form = new URLSearchParams(request.body);
    const action = form.get('Action') ?? '';
    const fault = faults.next('aws-ec2');
    if (fault?.kind === 'throttle') return ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    if (fault?.kind === 'fail') return ec2Error(500, 'InternalError', 'An internal error has occurred');
    if (fault?.kind === 'malformed')
      return {
        status: 200,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}"><requestId>x</requestId><spotPriceHistorySet><item><instanceType>p5.48xl`,
      };
    const region = signedRegion(request);
    switch (action) {
      case 'DescribeSpotPriceHistory':
        return describeSpotPriceHistory(organization, form, region);
      case 'DescribeCapacityReservations':
        return describeCapacityReservations(organization, form, region);
      case 'GetSpotPlacementScores':
        return getSpotPlacementScores(organization, form);
      default:
        return ec2Error(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  };
}

function describeSpotPriceHistory(organization: SimulatedOrganization, form: URLSearchParams, region: string): Reply {
  const end = form.get('EndTime') ? Date.parse(form.get('EndTime')!) : organization.now;
  const start = form.get('StartTime') ? Date.parse(form.get('StartTime')!) : end - DAY_MS;
  if (Number.isNaN(start) || Number.isNaN(end) || start > end)
    return ec2Error(400, 'InvalidParameterValue', 'StartTime and EndTime must be dates, StartTime first');
  const wantedTypes = list(form, 'InstanceType');
  const wantedProducts = list(form, 'ProductDescription');
  const wantedZone = form.get('AvailabilityZone');
  const types = SimulatedOrganization.awsGpuTypesIn(region).filter((t) => wantedTypes.length === 0 || wantedTypes.includes(t));
  const products = ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'].filter((p) => wantedProducts.length === 0 || wantedProducts.includes(p));
  const step = 6 * 3_600_000;
  const items: Array<{ time: number; xml: string }> = [];
  for (const type of types) {
    for (const zone of SimulatedOrganization.awsZonesOf(region)) {
      if (wantedZone && wantedZone !== zone) continue;
      for (const product of products) {
        // The price in effect at StartTime, then every change up to EndTime (a change every six hours).
        const first = Math.floor(start / step) * step;
        for (let at = first; at <= end; at += step) {
          const minute = at === first ? 0 : Math.floor(noise(organization.seed, 'spot-minute', type, zone, at) * 50);
          const time = at + minute * 60_000;
          const price = formatDecimal(organization.awsSpotPriceAt(type, zone, at));
          items.push({
            time,
            xml: `<item>${element('instanceType', type)}${element('productDescription', product)}${element('spotPrice', Number(price).toFixed(6))}${element('timestamp', new Date(time).toISOString())}${element('availabilityZone', zone)}</item>`,
          });
        }
      }
    }
  }
  items.sort((a, b) => b.time - a.time || a.xml.localeCompare(b.xml));
  const { slice, next, error } = page(items, form, 'DescribeSpotPriceHistory', 1000);
  if (error) return error;
  return xmlReply(
    'DescribeSpotPriceHistory',
    `<spotPriceHistorySet>${slice.map((i) => i.xml).join('')}</spotPriceHistorySet>${element('nextToken', next ?? '')}`,
  );
}

function describeCapacityReservations(organization: SimulatedOrganization, form: URLSearchParams, region: string): Reply {
  const owner = Object.keys(awsOrganization.accounts)[0]!;
  const day = organization.today;
  const reservations =
    region === 'us-east-1'
      ? [
          {
            id: 'cr-0a1b2c3d4e5f60001',
            type: 'p5.48xlarge',
            zone: 'us-east-1a',
            zoneId: 'use1-az4',
            total: 4,
            available: 1,
            state: 'active',
            start: day - 2 * DAY_MS + 11.5 * 3_600_000,
            end: day + 5 * DAY_MS + 11.5 * 3_600_000,
            kind: 'capacity-block',
            endType: 'limited',
          },
          {
            id: 'cr-0a1b2c3d4e5f60002',
            type: 'g6e.12xlarge',
            zone: 'us-east-1c',
            zoneId: 'use1-az2',
            total: 2,
            available: 0,
            state: 'active',
            start: day - 40 * DAY_MS,
            end: undefined,
            kind: 'default',
            endType: 'unlimited',
          },
          {
            id: 'cr-0a1b2c3d4e5f60003',
            type: 'p4d.24xlarge',
            zone: 'us-east-1b',
            zoneId: 'use1-az6',
            total: 2,
            available: 2,
            state: 'expired',
            start: day - 30 * DAY_MS,
            end: day - 16 * DAY_MS,
            kind: 'capacity-block',
            endType: 'limited',
          },
        ]
      : [];
  const { slice, next, error } = page(reservations, form, 'DescribeCapacityReservations', 1000);
  if (error) return error;
  const items = slice
    .map(
      (r) =>
        `<item>${element('capacityReservationId', r.id)}${element('ownerId', owner)}${element('capacityReservationArn', `arn:aws:ec2:${region}:${owner}:capacity-reservation/${r.id}`)}` +
        `${element('availabilityZoneId', r.zoneId)}${element('instanceType', r.type)}${element('instancePlatform', 'Linux/UNIX')}${element('availabilityZone', r.zone)}${element('tenancy', 'default')}` +
        `${element('totalInstanceCount', r.total)}${element('availableInstanceCount', r.available)}${element('ebsOptimized', true)}${element('ephemeralStorage', false)}${element('state', r.state)}` +
        `${element('startDate', new Date(r.start).toISOString())}${r.end === undefined ? '' : element('endDate', new Date(r.end).toISOString())}${element('endDateType', r.endType)}` +
        `${element('instanceMatchCriteria', 'targeted')}${element('createDate', new Date(r.start - DAY_MS).toISOString())}${element('reservationType', r.kind)}<tagSet/></item>`,
    )
    .join('');
  return xmlReply(
    'DescribeCapacityReservations',
    `<capacityReservationSet>${items}</capacityReservationSet>${element('nextToken', next ?? '')}`,
  );
}

function getSpotPlacementScores(organization: SimulatedOrganization, form: URLSearchParams): Reply {
  const types = list(form, 'InstanceType');
  const target = Number(form.get('TargetCapacity'));
  if (!Number.isInteger(target) || target < 1) return ec2Error(400, 'InvalidParameterValue', 'TargetCapacity must be a positive integer');
  if (types.length === 0) return ec2Error(400, 'InvalidParameterValue', 'Specify instance types or instance requirements');
  const regions = list(form, 'RegionName');
  const singleZone = form.get('SingleAvailabilityZone') === 'true';
  const scoreOf = (...parts: string[]) =>
    1 + Math.floor(noise(organization.seed, organization.today, target, types.join(','), ...parts) * 10);
  const rows: string[] = [];
  for (const region of regions.length > 0 ? regions : ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1']) {
    if (singleZone) {
      for (const n of [1, 2, 4]) {
        const zoneId = `${zoneIdPrefix[region] ?? region.replace(/-/g, '')}-az${n}`;
        rows.push(
          `<item>${element('region', region)}${element('availabilityZoneId', zoneId)}${element('score', scoreOf(region, String(n)))}</item>`,
        );
      }
    } else {
      rows.push(`<item>${element('region', region)}${element('score', scoreOf(region))}</item>`);
    }
  }
  const { slice, next, error } = page(rows, form, 'GetSpotPlacementScores', 10);
  if (error) return error;
  return xmlReply(
    'GetSpotPlacementScores',
    `<spotPlacementScoreSet>${slice.join('')}</spotPlacementScoreSet>${element('nextToken', next ?? '')}`,
  );
}

const zoneIdPrefix: Record<string, string> = {
  'us-east-1': 'use1',
  'us-east-2': 'use2',
  'us-west-1': 'usw1',
  'us-west-2': 'usw2',
  'eu-west-1': 'euw1',
  'eu-central-1': 'euc1',
};
