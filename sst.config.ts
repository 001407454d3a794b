/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Compute Ledger: one stack per stage, one AWS account per stage.
 *
 * `stageAccounts` maps a stage to the account it deploys into: either a named AWS profile (developers) or a
 * role to assume (CI). Stages not listed are personal stages: they use the caller's own credentials
 * (`AWS_PROFILE` or the default chain) and are removed completely by `sst remove`.
 * Production stages keep their resources when removed and are protected against `sst remove`.
 * See docs/deploy.md.
 */
interface StageAccount {
  /** Named profile from ~/.aws/config. Setting AWS_PROFILE at deploy time overrides it. */
  profile?: string;
  /** Role to assume in the stage's account (for CI, which has no named profiles). */
  roleArn?: string;
  region: string;
  /** Retain resources on removal and refuse `sst remove`. */
  production?: boolean;
}

const stageAccounts: Record<string, StageAccount> = {
  production: {
    profile: 'compute-ledger-production',
    roleArn: process.env.LEDGER_PRODUCTION_ROLE_ARN,
    region: 'us-east-1',
    production: true,
  },
  staging: {
    profile: 'compute-ledger-staging',
    roleArn: process.env.LEDGER_STAGING_ROLE_ARN,
    region: 'us-east-1',
  },
};

function accountFor(stage: string): StageAccount {
  return (
    stageAccounts[stage] ?? {
      profile: process.env.AWS_PROFILE,
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    }
  );
}

/** The AWS provider for a stage: assume its role when one is named, otherwise use its profile (or none). */
function awsProvider(stage: string, account: StageAccount): aws.ProviderArgs {
  if (account.roleArn) {
    return { region: account.region, assumeRoles: [{ roleArn: account.roleArn, sessionName: `compute-ledger-${stage}` }] };
  }
  return account.profile ? { region: account.region, profile: account.profile } : { region: account.region };
}

export default $config({
  app(input) {
    const account = accountFor(input.stage);
    const production = account.production === true;
    return {
      name: 'compute-ledger',
      home: 'aws',
      removal: production ? 'retain' : 'remove',
      protect: production,
      providers: { aws: awsProvider(input.stage, account) },
    };
  },
  async run() {
    const { table } = await import('./stacks/storage.js');
    const { api } = await import('./stacks/api.js');
    await import('./stacks/notifications.js');
    const { analysis } = await import('./stacks/workflows.js');
    await import('./stacks/jobs.js');
    return {
      apiUrl: api.url,
      tableName: table.name,
      analysisStateMachineArn: analysis.arn,
    };
  },
});
