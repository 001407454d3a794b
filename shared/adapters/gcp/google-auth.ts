import { OAuth2Client } from 'google-auth-library';

/**
 * An auth client that sends a fixed bearer token and never refreshes: for a local provider server
 * (`LEDGER_GCP_BILLING_ENDPOINT`, `LEDGER_GCP_BIGQUERY_ENDPOINT`). Without it, the Google clients use
 * Application Default Credentials as their documentation describes.
 */
export function staticGoogleAuthClient(token: string): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, token_type: 'Bearer' });
  return client;
}
