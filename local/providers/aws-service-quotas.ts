import { awsJson, awsJsonError, awsJsonFault, isReply, readAwsJsonCall } from './aws-json.js';
import type { FaultControls } from './faults.js';
import { type Reply, type ServiceHandler, decodeToken, encodeToken } from './http.js';
import { signedRegion } from './aws-ec2.js';
import { awsOrganization } from './simulation.js';

/** Service Quotas (`ServiceQuotasV20190624.ListServiceQuotas`, `...GetServiceQuota`) for EC2. */
const quotas: Array<{ code: string; name: string; value: number }> = [
  { code: 'L-1216C47A', name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances', value: 1152 },
  { code: 'L-417A185B', name: 'Running On-Demand P instances', value: 384 },
  { code: 'L-DB2E81BA', name: 'Running On-Demand G and VT instances', value: 96 },
  { code: 'L-34B43A08', name: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests', value: 640 },
  { code: 'L-7212CCBC', name: 'All P4, P3 and P2 Spot Instance Requests', value: 192 },
  { code: 'L-3819A6DF', name: 'All G and VT Spot Instance Requests', value: 64 },
  { code: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs', value: 5 },
];

function quota(region: string, q: (typeof quotas)[number]) {
  const account = Object.keys(awsOrganization.accounts)[0]!;
  return {
    ServiceCode: 'ec2',
    ServiceName: 'Amazon Elastic Compute Cloud (Amazon EC2)',
    QuotaArn: `arn:aws:servicequotas:${region}:${account}:ec2/${q.code}`,
    QuotaCode: q.code,
    QuotaName: q.name,
    Value: q.value,
    Unit: 'None',
    Adjustable: true,
    GlobalQuota: false,
    QuotaAppliedAtLevel: 'ACCOUNT',
  };
}

export function serviceQuotasService(faults: FaultControls): ServiceHandler {
  return (request): Reply => {
    const call = readAwsJsonCall(request, 'ServiceQuotasV20190624');
    if (isReply(call)) return call;
    const fault = faults.next('aws-service-quotas');
    if (fault) return awsJsonFault(fault, 'TooManyRequestsException', '{"Quotas":[{"ServiceCode":"ec2","Value":');
    const region = signedRegion(request);
    const input = call.input as { ServiceCode?: string; QuotaCode?: string; MaxResults?: number; NextToken?: string };
    if (input.ServiceCode !== 'ec2')
      return awsJsonError(400, 'NoSuchResourceException', 'The request failed because the specified service does not exist.');
    if (call.operation === 'GetServiceQuota') {
      const q = quotas.find((x) => x.code === input.QuotaCode);
      return q
        ? awsJson({ Quota: quota(region, q) })
        : awsJsonError(400, 'NoSuchResourceException', 'The request failed because the specified resource does not exist.');
    }
    if (call.operation !== 'ListServiceQuotas')
      return awsJsonError(400, 'UnknownOperationException', `Unsupported operation ${call.operation}`);
    const max = input.MaxResults ?? 100;
    let offset = 0;
    if (input.NextToken) {
      const token = decodeToken<{ o: number }>(input.NextToken);
      if (!token || !Number.isInteger(token.o)) return awsJsonError(400, 'InvalidPaginationTokenException', 'Invalid token');
      offset = token.o;
    }
    const slice = quotas.slice(offset, offset + max).map((q) => quota(region, q));
    return awsJson({ Quotas: slice, ...(offset + max < quotas.length ? { NextToken: encodeToken({ o: offset + max }) } : {}) });
  };
}
