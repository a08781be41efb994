import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AppCredentialsProvider } from '../shared/app-credentials';
import { createDocumentClient, createSecretsManagerClient } from '../shared/aws-clients';
import { systemClock } from '../shared/clock';
import { createLogger } from '../shared/logger';
import type { Region } from '../shared/regions';
import { loadAuthorizeConfig } from './config';
import { errorToResponse } from './errors-to-responses';
import { readQueryParams } from './query-params';
import { redirect } from './responses';
import { startAuthorization } from './seller-authorization';
import { StateStore } from './state-store';

const config = loadAuthorizeConfig();
const logger = createLogger();
const deps = {
  states: new StateStore(createDocumentClient(), config.stateTableName, systemClock),
  appCredentials: new AppCredentialsProvider(createSecretsManagerClient(), config.appSecretId, systemClock),
};

/** `GET /authorize?region=NA|EU|FE`: 302 to the region's Seller Central consent page. */
export async function handleAuthorize(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const params = readQueryParams(event, { region: { required: true, pattern: /^(NA|EU|FE)$/ } });
    const region = params.region as Region;
    const location = await startAuthorization(deps, {
      region,
      sellerCentralUrl: config.sellerCentralUrls[region],
    });
    logger.info('Authorization started', { region });
    return redirect(location);
  } catch (error) {
    return errorToResponse(error, logger, 'authorize');
  }
}

export const handler = middy(handleAuthorize).use(injectLambdaContext(logger));
