import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { AppCredentialsError, AppCredentialsProvider } from '../shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient, DEFAULT_AWS_RETRY } from '../shared/aws-clients';
import { realSleep } from '../shared/backoff';
import { systemClock } from '../shared/clock';
import { getStringFromEnv, loadLwaEndpoints, loadRefreshTiming, loadServedRegions } from '../shared/env';
import { createLogger, errorName } from '../shared/logger';
import { LwaClient, LwaError } from '../shared/lwa-client';
import { isRegion } from '../shared/regions';
import { DEFAULT_TOKEN_SECRET_PREFIX, isScope } from '../shared/secret-names';
import { SellerRepository } from '../shared/seller-repository';
import { MAX_LWA_TIMEOUT_MS, type RemainingTime, TimeBudgetExhaustedError } from '../shared/time-budget';
import { TokenStore } from '../shared/token-store';
import { type DeviceApiDeps, pollDeviceAuthorization, startDeviceAuthorization } from './device-api';
import { DeviceAuthorizationError } from './device-flow';
import { AUTHORIZATION_ID_PATTERN, PendingAuthorizations } from './pending-authorizations';

const logger = createLogger();
const documentClient = createDocumentClient();
const secretsManager = createSecretsManagerClient();
const retry = { ...DEFAULT_AWS_RETRY, sleep: realSleep, random: Math.random };
const deps: DeviceApiDeps = {
  pending: new PendingAuthorizations(documentClient, getStringFromEnv('STATE_TABLE_NAME'), systemClock),
  appCredentials: new AppCredentialsProvider(secretsManager, getStringFromEnv('APP_SECRET_ID'), systemClock),
  // Each call's timeout is cut to what the invocation has left (see time-budget.ts).
  lwa: new LwaClient({ timeoutMs: MAX_LWA_TIMEOUT_MS }),
  clock: systemClock,
  lwaEndpoints: loadLwaEndpoints(process.env),
  tokens: new TokenStore(secretsManager, retry),
  sellers: new SellerRepository(documentClient, getStringFromEnv('SELLER_TABLE_NAME')),
  random: Math.random,
  retry,
  config: {
    tokenSecretPrefix: getStringFromEnv('TOKEN_SECRET_PREFIX', process.env, DEFAULT_TOKEN_SECRET_PREFIX),
    kmsKeyId: getStringFromEnv('TOKEN_KMS_KEY_ID'),
    ...loadRefreshTiming(process.env),
  },
};

const servedRegions = loadServedRegions(process.env);

const MAX_BODY_BYTES = 4096;

/**
 * `POST /device/authorizations` with `{ region, scope }` and `GET /device/authorizations/{id}`,
 * for devices that cannot hold client credentials. Responses carry ids, user codes and statuses,
 * never a token or a device code.
 */
export async function handleDeviceApi(
  event: APIGatewayProxyEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<APIGatewayProxyResult> {
  const remainingTimeMs = () => context.getRemainingTimeInMillis();
  try {
    if (event.httpMethod === 'POST' && event.resource === '/device/authorizations')
      return await start(event, remainingTimeMs);
    if (event.httpMethod === 'GET' && event.resource === '/device/authorizations/{id}')
      return await poll(event, remainingTimeMs);
    return json(404, {
      error: 'not_found',
      message: 'Use POST /device/authorizations or GET /device/authorizations/{id}.',
    });
  } catch (error) {
    if (error instanceof AppCredentialsError) {
      logger.error('App credentials are not usable', { detail: error.message });
      return json(503, {
        error: 'not_configured',
        message: 'The service is not fully set up yet; try again later.',
      });
    }
    if (error instanceof TimeBudgetExhaustedError) {
      logger.error('Too little time left to call LWA and store its answer', {
        remainingMs: error.remainingMs,
      });
      return json(503, {
        error: 'try_again',
        message: 'The service could not reach Login with Amazon in time; nothing was sent. Try again.',
      });
    }
    if (error instanceof LwaError || error instanceof DeviceAuthorizationError) {
      logger.warn('LWA refused the device authorization', { lwaError: error.code });
      const invalidScope = error.code === 'invalid_scope';
      return json(invalidScope ? 400 : 502, {
        error: error.code,
        message: invalidScope
          ? 'This application may not request that scope.'
          : 'Login with Amazon did not answer as expected; try again.',
      });
    }
    logger.error('Unexpected failure', { error: errorName(error) });
    return json(500, { error: 'internal_error', message: 'Something went wrong; try again.' });
  }
}

async function start(
  event: APIGatewayProxyEvent,
  remainingTimeMs: RemainingTime,
): Promise<APIGatewayProxyResult> {
  const body = parseBody(event);
  if (!body || !isRegion(body.region) || !isScope(body.scope)) {
    return json(400, {
      error: 'invalid_request',
      message: 'Send a JSON body {"region": "NA"|"EU"|"FE", "scope": "<LWA scope, e.g. profile>"}.',
    });
  }
  // An account stored for a region this deployment's refresher skips would lapse within the hour.
  if (!servedRegions.includes(body.region)) {
    logger.warn('Region not served', { region: body.region, servedRegions });
    return json(400, {
      error: 'region_not_served',
      message: `This deployment authorizes ${servedRegions.join(', ')} only; start the device authorization for ${body.region} on the deployment that serves ${body.region}.`,
    });
  }
  const started = await startDeviceAuthorization(
    deps,
    { region: body.region, scope: body.scope },
    remainingTimeMs,
  );
  logger.info('Device authorization started', { region: body.region, scope: body.scope, id: started.id });
  return json(201, started);
}

async function poll(
  event: APIGatewayProxyEvent,
  remainingTimeMs: RemainingTime,
): Promise<APIGatewayProxyResult> {
  const id = event.pathParameters?.id;
  if (!id || !AUTHORIZATION_ID_PATTERN.test(id)) {
    return json(400, { error: 'invalid_request', message: 'The authorization id is malformed.' });
  }
  const outcome = await pollDeviceAuthorization(deps, id, remainingTimeMs);
  if (outcome.kind === 'not-found') {
    return json(404, { error: 'not_found', message: 'No such device authorization (it may have expired).' });
  }
  if (outcome.kind === 'too-early') {
    return json(
      429,
      {
        error: 'slow_down',
        message: `Poll no more often than every interval; retry in ${outcome.retryAfterSeconds} s.`,
      },
      { 'Retry-After': String(outcome.retryAfterSeconds) },
    );
  }
  if (outcome.status !== 'pending') logger.info('Device authorization ended', { id, status: outcome.status });
  return json(200, {
    id,
    status: outcome.status,
    ...(outcome.interval ? { interval: outcome.interval } : {}),
  });
}

function parseBody(event: APIGatewayProxyEvent): Record<string, unknown> | undefined {
  if (!event.body || event.body.length > MAX_BODY_BYTES) return undefined;
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

export const handler = middy(handleDeviceApi).use(injectLambdaContext(logger));
