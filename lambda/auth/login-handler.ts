import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createDocumentClient } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { createLogger } from '../shared/logger';
import type { Region } from '../shared/regions';
import { appListingFromEnv } from './app-listing';
import { loadLoginConfig } from './config';
import { errorToResponse } from './errors-to-responses';
import { BadParameterError, readQueryParams } from './query-params';
import { callbackUrlFor } from './redirect-uri';
import { redirect } from './responses';
import { LOGIN_PARAMS } from './route-params';
import { assertRegionServed, startLogin } from './seller-authorization';
import { StateStore } from './state-store';

const config = loadLoginConfig();
const logger = createLogger();
const deps = {
  states: new StateStore(createDocumentClient(), config.stateTableName, systemClock),
  appListing: appListingFromEnv(),
};

const LOOPBACK_HOSTS = /^(localhost|127\.0\.0\.1)(:\d+)?$/;

/**
 * `GET /login`: the Seller Central-initiated flow. Redirects back to `amazon_callback_uri` only
 * when its host is on the allow-list, which also tells which region the seller is in.
 */
export async function handleLogin(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const params = readQueryParams(event, LOGIN_PARAMS);
    const callbackUri = parseAllowedCallback(params.amazon_callback_uri as string);
    const region = config.loginHosts[callbackUri.host] as Region;
    assertRegionServed(region, config.servedRegions);
    const sellerId = params.selling_partner_id;
    const location = await startLogin(deps, {
      amazonCallbackUri: callbackUri,
      region,
      amazonState: params.amazon_state as string,
      sellerId,
      redirectUri: callbackUrlFor(event, config.redirectUri),
    });
    logger.info('Seller Central login started', { region });
    return redirect(location);
  } catch (error) {
    return errorToResponse(error, logger, 'login');
  }
}

/** Only https, except loopback hosts that an operator allow-listed for the local run. */
function parseAllowedCallback(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadParameterError('amazon_callback_uri', 'malformed');
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.test(url.host));
  if (!secure || url.username || url.password || !Object.hasOwn(config.loginHosts, url.host)) {
    throw new BadParameterError('amazon_callback_uri', 'malformed');
  }
  return url;
}

export const handler = middy(handleLogin).use(injectLambdaContext(logger));
