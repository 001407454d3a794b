import { describe, expect, it } from 'vitest';
import { readConfig } from './config.js';

describe('configuration', () => {
  it('fails with a message that names the missing setting', () => {
    expect(() => readConfig({})).toThrow(/LEDGER_TABLE_NAME/);
  });

  it('names a malformed setting', () => {
    expect(() => readConfig({ LEDGER_TABLE_NAME: 'ledger', LEDGER_DYNAMODB_ENDPOINT: 'not a url' })).toThrow(/LEDGER_DYNAMODB_ENDPOINT/);
    expect(() => readConfig({ LEDGER_TABLE_NAME: 'ledger', LEDGER_TOKEN_CACHE_SECONDS: '-1' })).toThrow(/LEDGER_TOKEN_CACHE_SECONDS/);
  });

  it('applies defaults and treats empty variables as unset', () => {
    const config = readConfig({ LEDGER_TABLE_NAME: 'ledger', LEDGER_DYNAMODB_ENDPOINT: '', LEDGER_STAGE: '' });
    expect(config).toMatchObject({
      LEDGER_TABLE_NAME: 'ledger',
      LEDGER_STAGE: 'local',
      AWS_REGION: 'us-east-1',
      LEDGER_MAX_BATCH_SAMPLES: 10_000,
      LEDGER_MAX_BATCH_BYTES: 1_048_576,
    });
    expect(config.LEDGER_DYNAMODB_ENDPOINT).toBeUndefined();
  });
});
