import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { AppCredentialsProvider } from '../shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient, DEFAULT_AWS_RETRY } from '../shared/aws-clients';
import { realSleep } from '../shared/backoff';
import { systemClock } from '../shared/clock';
import { EventBridgePublisher, noLifecycleEvents } from '../shared/lifecycle-events';
import { createLogger } from '../shared/logger';
import { LwaClient } from '../shared/lwa-client';
import type { Region } from '../shared/regions';
import { SellerRepository } from '../shared/seller-repository';
import { SellerStatus } from '../shared/seller-table';
import { MAX_LWA_TIMEOUT_MS } from '../shared/time-budget';
import { TokenStore } from '../shared/token-store';
import { loadCallbackConfig } from './config';
import { errorToResponse } from './errors-to-responses';
import { BadParameterError, readQueryParams } from './query-params';
import { callbackUrlFor } from './redirect-uri';
import { htmlPage } from './responses';
import { CALLBACK_PARAMS } from './route-params';
import { completeAuthorization, InvalidStateError } from './seller-authorization';
import { StateStore } from './state-store';

const config = loadCallbackConfig();
const logger = createLogger();
const secretsManager = createSecretsManagerClient();
const documentClient = createDocumentClient();
const retry = { ...DEFAULT_AWS_RETRY, sleep: realSleep, random: Math.random };
const metrics = new Metrics({ namespace: 'LwaTokenService', serviceName: 'callback' });
let eventsDropped = 0;
const deps = {
  states: new StateStore(documentClient, config.stateTableName, systemClock),
  appCredentials: new AppCredentialsProvider(secretsManager, config.appSecretId, systemClock),
  // Each call's timeout is cut to what the invocation has left (see time-budget.ts).
  lwa: new LwaClient({ timeoutMs: MAX_LWA_TIMEOUT_MS }),
  tokens: new TokenStore(secretsManager, retry),
  sellers: new SellerRepository(documentClient, config.sellerTableName),
  events: config.eventBusName
    ? new EventBridgePublisher(new EventBridgeClient({}), config.eventBusName, {
        retry,
        log: logger,
        onDropped: () => {
          eventsDropped++;
        },
      })
    : noLifecycleEvents,
  clock: systemClock,
  random: Math.random,
  retry,
  config,
};

/** `GET /callback`: where Seller Central sends the seller after consent (or after a denial). */
export async function handleCallback(
  event: APIGatewayProxyEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<APIGatewayProxyResult> {
  eventsDropped = 0;
  try {
    const params = readQueryParams(event, CALLBACK_PARAMS);
    if (params.error !== undefined) return await handleDenial(params.state as string, params.error);
    // Required only here, because a denial legitimately arrives without a seller or code.
    const sellerId = params.selling_partner_id ?? missing('selling_partner_id');
    const code = params.spapi_oauth_code ?? missing('spapi_oauth_code');
    const outcome = await completeAuthorization(deps, {
      state: params.state as string,
      sellerId,
      code,
      redirectUri: callbackUrlFor(event, config.redirectUri),
      regionHint: params.region as Region | undefined,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    if (outcome.keptStoredRefreshToken) {
      logger.warn(
        'LWA returned no refresh token for this re-authorization: kept the stored token secret as it was (its refresh token still works), and the seller stays ACTIVE, due for a refresh now. Check that the app sends its client secret in the code exchange.',
        { sellerId: outcome.sellerId, region: outcome.region, cause: 'no_refresh_token_in_exchange' },
      );
    } else if (outcome.status === SellerStatus.AccessOnly) {
      logger.warn(
        'LWA returned no refresh token: stored the access token only (ACCESS_ONLY). Check that the app sends its client secret.',
        {
          sellerId: outcome.sellerId,
          region: outcome.region,
        },
      );
    } else {
      logger.info('Seller authorized', { sellerId: outcome.sellerId, region: outcome.region });
    }
    return htmlPage(
      200,
      'Your Amazon seller account is connected',
      `Seller ${outcome.sellerId} (${outcome.region}) has authorized this application. You can close this page.`,
    );
  } catch (error) {
    return errorToResponse(error, logger, 'callback');
  } finally {
    // Always added, so every invocation has a metric to publish (Powertools warns on none).
    metrics.addMetric('LifecycleEventsDropped', MetricUnit.Count, eventsDropped);
  }
}

function missing(parameter: string): never {
  throw new BadParameterError(parameter, 'missing');
}

/**
 * The seller declined on the consent page. Nothing is stored, so the state is not spent either: it
 * expires within 10 minutes, and spending it would let a forged `error=` request cancel the link
 * a seller is about to complete (a 4xx changes nothing).
 */
async function handleDenial(state: string, error: string): Promise<APIGatewayProxyResult> {
  const checked = await deps.states.check(state);
  if (!checked.ok) throw new InvalidStateError(checked.reason);
  logger.info('Seller declined authorization', { region: checked.state.region, error });
  const message =
    error === 'access_denied'
      ? 'You declined to authorize this application, so nothing was stored. If that was a mistake, start again from the authorize link.'
      : `Amazon reported "${error}", so nothing was stored. Please start the authorization again.`;
  return htmlPage(403, 'Authorization was not granted', message);
}

export const handler = middy(handleCallback).use(injectLambdaContext(logger)).use(logMetrics(metrics));
