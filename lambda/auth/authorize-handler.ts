import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createDocumentClient } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { createLogger } from '../shared/logger';
import type { AccountType } from '../shared/marketplaces';
import { REGIONS, type Region } from '../shared/regions';
import { appListingFromEnv } from './app-listing';
import { loadAuthorizeConfig } from './config';
import { resolveConsentTarget } from './consent-target';
import { errorToResponse } from './errors-to-responses';
import { readQueryParams } from './query-params';
import { callbackUrlFor } from './redirect-uri';
import { redirect } from './responses';
import { AUTHORIZE_PARAMS } from './route-params';
import { assertRegionServed, startAuthorization } from './seller-authorization';
import { StateStore } from './state-store';

const config = loadAuthorizeConfig();
const servesEveryRegion = REGIONS.every((region) => config.servedRegions.includes(region));
const logger = createLogger();
const deps = {
  states: new StateStore(createDocumentClient(), config.stateTableName, systemClock),
  appListing: appListingFromEnv(),
};

/**
 * `GET /authorize?region=NA|EU|FE` or `?marketplace=<id or country code>[&account=vendor]`: 302 to
 * the consent page of the region's Seller Central, or of the marketplace's Seller or Vendor Central.
 */
export async function handleAuthorize(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const params = readQueryParams(event, AUTHORIZE_PARAMS);
    const target = resolveConsentTarget(
      {
        region: params.region as Region | undefined,
        marketplace: params.marketplace,
        account: params.account as AccountType | undefined,
      },
      config.sellerCentralUrls,
    );
    assertRegionServed(target.region, config.servedRegions);
    const location = await startAuthorization(deps, {
      region: target.region,
      sellerCentralUrl: target.consentBaseUrl,
      // A deployment serving only some regions is one of several: without redirect_uri, Amazon
      // sends the seller to the app's first registered Redirect URI, another stack's callback
      // that has never seen this state.
      redirectUri: servesEveryRegion ? undefined : callbackUrlFor(event, config.redirectUri),
    });
    logger.info('Authorization started', {
      region: target.region,
      consentHost: new URL(target.consentBaseUrl).host,
    });
    return redirect(location);
  } catch (error) {
    return errorToResponse(error, logger, 'authorize');
  }
}

export const handler = middy(handleAuthorize).use(injectLambdaContext(logger));
