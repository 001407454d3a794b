import { describe, expect, it } from 'vitest';
import { providerConfiguration } from './provider-configuration.js';

describe('providerConfiguration', () => {
  it('says not-configured, naming what is missing, for an empty environment', () => {
    const config = providerConfiguration({});
    expect(config.aws).toMatchObject({ status: 'not-configured', costs: { status: 'not-configured', local: false } });
    expect(config.aws.costs.missing[0]).toContain('AWS_ACCESS_KEY_ID');
    expect(config.azure.status).toBe('not-configured');
    expect(config.azure.costs.missing[0]).toBe('LEDGER_AZURE_SCOPE');
    expect(config.azure.prices.status).toBe('configured');
    expect(config.gcp.costs.missing).toEqual([
      'LEDGER_GCP_PROJECT_ID',
      'LEDGER_GCP_BILLING_EXPORT_TABLE',
      'GOOGLE_APPLICATION_CREDENTIALS',
    ]);
    expect(config.gcp.prices.status).toBe('not-configured');
  });

  it('accepts real credentials', () => {
    const config = providerConfiguration({
      AWS_LAMBDA_FUNCTION_NAME: 'collect-aws',
      LEDGER_AZURE_SCOPE: '/subscriptions/1',
      AZURE_TENANT_ID: 't',
      AZURE_CLIENT_ID: 'c',
      AZURE_CLIENT_SECRET: 's',
      LEDGER_GCP_PROJECT_ID: 'p',
      LEDGER_GCP_BILLING_EXPORT_TABLE: 'p.d.t',
      GOOGLE_APPLICATION_CREDENTIALS: '/key.json',
    });
    expect([config.aws.status, config.azure.status, config.gcp.status]).toEqual(['configured', 'configured', 'configured']);
    expect(config.aws.capacity?.status).toBe('configured');
  });

  it('treats local endpoints as configured and says so', () => {
    const config = providerConfiguration({
      AWS_ENDPOINT_URL_COST_EXPLORER: 'http://127.0.0.1:1',
      LEDGER_AZURE_ENDPOINT: 'http://127.0.0.1:2',
      LEDGER_AZURE_SCOPE: '/subscriptions/1',
      LEDGER_GCP_BIGQUERY_ENDPOINT: 'http://127.0.0.1:3',
      LEDGER_GCP_BILLING_ENDPOINT: 'http://127.0.0.1:4',
      LEDGER_GCP_PROJECT_ID: 'p',
      LEDGER_GCP_BILLING_EXPORT_TABLE: 'p.d.t',
    });
    expect(config.aws.costs).toEqual({ status: 'configured', missing: [], local: true });
    expect(config.aws.prices.status).toBe('not-configured');
    expect(config.azure.costs).toEqual({ status: 'configured', missing: [], local: true });
    expect(config.gcp.costs.local).toBe(true);
    expect(config.gcp.prices.status).toBe('configured');
  });
});
