import { randomBytes } from 'node:crypto';
import * as os from 'node:os';

export const TEST_REGION = 'us-east-1';

/**
 * Environment that points every AWS SDK client at an emulator. moto accepts
 * any credentials; fake ones are set anyway so the SDK never reaches for a
 * developer's real ones (or the instance metadata service, which would hang).
 */
export function awsEnvFor(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: TEST_REGION,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // Overrides a real session token that would otherwise ride along with the fake keys.
    AWS_SESSION_TOKEN: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    // A developer's ~/.aws/config can carry endpoint_url, services sections or
    // ignore_configured_endpoint_urls, any of which would re-route clients.
    AWS_CONFIG_FILE: os.devNull,
    AWS_SHARED_CREDENTIALS_FILE: os.devNull,
  };
}

/**
 * Variables that would beat the ones from awsEnvFor in the SDK's resolution
 * order: AWS_PROFILE makes the credential chain skip env credentials,
 * AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL, and
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS disables both.
 */
export function conflictingAwsEnvKeys(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env).filter(
    (k) =>
      k === 'AWS_PROFILE' ||
      k === 'AWS_DEFAULT_PROFILE' ||
      k === 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS' ||
      k.startsWith('AWS_ENDPOINT_URL_'),
  );
}

/** Sets awsEnvFor(endpoint) on env (process.env by default) and removes conflicting variables. */
export function applyAwsEnv(endpoint: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  for (const key of conflictingAwsEnvKeys(env)) delete env[key];
  const vars = awsEnvFor(endpoint);
  Object.assign(env, vars);
  return vars;
}

/**
 * Name for a per-test resource. Tests share one moto server (and may run in
 * parallel workers), so names must not collide across tests or runs.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
