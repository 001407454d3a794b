import { type AccessToken, ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';

/**
 * Credentials for the Azure management API.
 * - `static`: a fixed token, for a local provider server (`LEDGER_AZURE_ENDPOINT` set to an http:// URL);
 * - `client-secret`: a service principal;
 * - `default`: DefaultAzureCredential (managed identity, workload identity, Azure CLI ...), which reads its own
 *   standard AZURE_* variables as the SDK documents.
 */
export type AzureCredentialSettings =
  | { kind: 'static'; token: string }
  | { kind: 'client-secret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'default' };

export function staticTokenCredential(token: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

export function createAzureCredential(settings: AzureCredentialSettings): TokenCredential {
  switch (settings.kind) {
    case 'static':
      return staticTokenCredential(settings.token);
    case 'client-secret':
      return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret);
    case 'default':
      return new DefaultAzureCredential();
  }
}
