import { describe, expect, it } from 'vitest';
import { readConfig } from '../../config.js';
import { billingAccountOfExportTable, collectorSettings } from './settings.js';

const base = { LEDGER_TABLE_NAME: 'ledger' };
const local = {
  AWS_ENDPOINT_URL_COST_EXPLORER: 'http://127.0.0.1:4001',
  AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:4002',
  AWS_ENDPOINT_URL_PRICING: 'http://127.0.0.1:4003',
  AWS_ENDPOINT_URL_SERVICE_QUOTAS: 'http://127.0.0.1:4004',
  LEDGER_AZURE_ENDPOINT: 'http://127.0.0.1:4005',
  LEDGER_AZURE_PRICES_ENDPOINT: 'http://127.0.0.1:4006',
  LEDGER_GCP_BILLING_ENDPOINT: 'http://127.0.0.1:4007',
  LEDGER_GCP_BIGQUERY_ENDPOINT: 'http://127.0.0.1:4008',
  LEDGER_AWS_BILLING_ACCOUNT_ID: '111122223333',
  LEDGER_AZURE_SCOPE: '/subscriptions/00000000-aaaa-bbbb-cccc-000000000001',
  LEDGER_GCP_PROJECT_ID: 'billing-admin-prod',
  LEDGER_GCP_BILLING_EXPORT_TABLE: 'billing-admin-prod.billing_export.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9',
};

describe('collector settings', () => {
  it('says what is missing when nothing is configured, naming settings and never values', () => {
    const s = collectorSettings(readConfig(base));
    expect(s.aws.configured.costs).toEqual({
      missing: expect.stringMatching(/^AWS_ACCESS_KEY_ID\+AWS_SECRET_ACCESS_KEY or AWS_PROFILE .*; LEDGER_AWS_BILLING_ACCOUNT_ID$/),
    });
    expect(s.azure.configured.costs).toEqual({ missing: expect.stringContaining('LEDGER_AZURE_SCOPE; AZURE_TENANT_ID') });
    expect(s.gcp.configured.costs).toEqual({
      missing: 'LEDGER_GCP_PROJECT_ID; LEDGER_GCP_BILLING_EXPORT_TABLE; GOOGLE_APPLICATION_CREDENTIALS',
    });
    // The Retail Prices API is public.
    expect(s.azure.configured.prices).toBe(true);
  });

  it('is configured against a local provider server, with placeholder AWS credentials and the table’s billing account', () => {
    const s = collectorSettings(readConfig({ ...base, ...local }));
    expect([s.aws.configured, s.azure.configured, s.gcp.configured]).toEqual([
      { costs: true, prices: true, capacity: true },
      { costs: true, prices: true },
      { costs: true, prices: true },
    ]);
    expect(s.aws.placeholderCredentials).toBe(true);
    expect(s.gcp.billingAccountId).toBe('01A2B3-C4D5E6-F7A8B9');
    expect(s.azure.scopes).toEqual(['/subscriptions/00000000-aaaa-bbbb-cccc-000000000001']);
    expect(s.aws).toMatchObject({ regions: ['us-east-1', 'us-west-2'], restatementDays: 14, resourceDays: 14, costTags: [] });
    // Real credentials are never replaced by placeholders.
    expect(collectorSettings(readConfig({ ...base, ...local, AWS_PROFILE: 'ledger' })).aws.placeholderCredentials).toBe(false);
  });

  it('reads lists, flags and windows, and names a malformed one', () => {
    const s = collectorSettings(
      readConfig({
        ...base,
        ...local,
        LEDGER_AWS_COST_TAGS: 'team, Environment',
        LEDGER_AWS_RESTATEMENT_DAYS: '30',
        LEDGER_AZURE_SCOPE: '/subscriptions/a,/subscriptions/b',
        LEDGER_GCP_ENABLED: 'false',
      }),
    );
    expect(s.aws.costTags).toEqual(['team', 'Environment']);
    expect(s.aws.restatementDays).toBe(30);
    expect(s.azure.scopes).toEqual(['/subscriptions/a', '/subscriptions/b']);
    expect(s.gcp.configured).toEqual({
      costs: { missing: 'LEDGER_GCP_ENABLED is false' },
      prices: { missing: 'LEDGER_GCP_ENABLED is false' },
    });
    expect(() => readConfig({ ...base, LEDGER_AWS_RESOURCE_DAYS: '15' })).toThrow(/LEDGER_AWS_RESOURCE_DAYS/);
    expect(() => readConfig({ ...base, LEDGER_AWS_GPU_FAMILIES: 'p5,m7i' })).toThrow(/LEDGER_AWS_GPU_FAMILIES/);
    expect(() => readConfig({ ...base, LEDGER_AZURE_SCOPE: 'subscriptions/a' })).toThrow(/LEDGER_AZURE_SCOPE/);
    expect(() => readConfig({ ...base, LEDGER_GCP_ENABLED: 'maybe' })).toThrow(/LEDGER_GCP_ENABLED/);
  });

  it('takes the AWS billing account from the Lambda function’s account when it is not set', () => {
    const inLambda = readConfig({ ...base, AWS_LAMBDA_FUNCTION_NAME: 'collect-aws-costs' });
    expect(collectorSettings(inLambda).aws.configured.costs).toEqual({ missing: 'LEDGER_AWS_BILLING_ACCOUNT_ID' });
    const s = collectorSettings(inLambda, { awsAccountId: '123456789012' });
    expect(s.aws.configured.costs).toBe(true);
    expect(s.aws.billingAccountId).toBe('123456789012');
  });

  it('reads the billing account out of an export table name', () => {
    expect(billingAccountOfExportTable('p.d.gcp_billing_export_v1_0A1B2C_3D4E5F_6A7B8C')).toBe('0A1B2C-3D4E5F-6A7B8C');
    expect(billingAccountOfExportTable('p.d.my_copy')).toBeNull();
  });
});
