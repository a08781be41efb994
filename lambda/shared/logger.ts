import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per function. Handlers log outcomes and error codes only: never the
 * event, a query string, a code, a token or a client secret.
 */
export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lwa-token-service' });
}

/** The name of an error, safe to log: our own errors never put a secret in their message. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}
