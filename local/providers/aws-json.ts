import type { Fault } from './faults.js';
import { type Reply, type ServiceRequest, json } from './http.js';

/**
 * AWS JSON 1.1 protocol (Cost Explorer, Price List, Service Quotas): `POST /` with
 * `X-Amz-Target: <TargetPrefix>.<Operation>` and a JSON body; errors are HTTP 4xx/5xx with `__type`.
 */
export const awsJsonContentType = 'application/x-amz-json-1.1';

let requestCounter = 0;

function requestId(): string {
  requestCounter++;
  return `00000000-0000-4000-8000-${String(requestCounter).padStart(12, '0')}`;
}

export function awsJson(value: unknown): Reply {
  return json(200, value, { 'content-type': awsJsonContentType, 'x-amzn-requestid': requestId() });
}

export function awsJsonError(status: number, type: string, message: string): Reply {
  return json(
    status,
    { __type: type, message },
    { 'content-type': awsJsonContentType, 'x-amzn-requestid': requestId(), 'x-amzn-errortype': type },
  );
}

export interface AwsJsonCall {
  operation: string;
  input: Record<string, unknown>;
}

/** Reads the target and body, or answers the protocol error AWS would. */
export function readAwsJsonCall(request: ServiceRequest, targetPrefix: string): AwsJsonCall | Reply {
  if (request.method !== 'POST') return awsJsonError(404, 'UnknownOperationException', 'Only POST is supported');
  if (!request.headers.authorization) return awsJsonError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  const target = String(request.headers['x-amz-target'] ?? '');
  const [prefix, operation] = target.split('.');
  if (prefix !== targetPrefix || !operation) return awsJsonError(400, 'UnknownOperationException', `Unknown target ${target}`);
  try {
    const input = request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {};
    return { operation, input };
  } catch {
    return awsJsonError(400, 'SerializationException', 'Request body is not JSON');
  }
}

export function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

/** The reply a fault asks for, in AWS JSON 1.1 form. */
export function awsJsonFault(fault: Fault, throttleType: string, malformedBody: string): Reply {
  switch (fault.kind) {
    case 'throttle':
      return awsJsonError(400, throttleType, 'Rate exceeded');
    case 'fail':
      return awsJsonError(500, 'InternalServerError', 'We encountered an internal error. Please try again.');
    case 'malformed':
      return { status: 200, headers: { 'content-type': awsJsonContentType }, body: malformedBody };
  }
}
