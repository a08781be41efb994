import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { AppCredentialsError } from '../shared/app-credentials';
import { errorName } from '../shared/logger';
import { UnknownMarketplaceError } from './consent-target';
import { BadParameterError } from './query-params';
import { htmlPage } from './responses';
import { InvalidStateError, RegionNotServedError, TokenExchangeError } from './seller-authorization';

const START_AGAIN =
  'Please start the authorization again from the application’s authorize link or from Seller Central.';

/** Maps the named errors of the authorization core to pages. Only here do errors become HTTP. */
export function errorToResponse(error: unknown, logger: Logger, route: string): APIGatewayProxyResult {
  if (error instanceof BadParameterError) {
    logger.warn('Rejected request', { route, reason: `${error.parameter}-${error.problem}` });
    return htmlPage(
      400,
      'This link is not valid',
      `The ${error.parameter} parameter is ${error.problem}. ${START_AGAIN}`,
    );
  }
  if (error instanceof UnknownMarketplaceError) {
    logger.warn('Rejected request', { route, reason: `marketplace-${error.reason}`, account: error.account });
    // The page lists the valid choices and never echoes what was asked for.
    const problem =
      error.reason === 'unknown'
        ? `This link names a marketplace that has no ${error.account === 'vendor' ? 'Vendor' : 'Seller'} Central consent page.`
        : 'This link names a marketplace outside its region.';
    return htmlPage(
      400,
      'This link is not valid',
      `${problem} Valid marketplace parameters (country code or marketplace id): ${error.validChoices.join(', ')}.`,
    );
  }
  if (error instanceof RegionNotServedError) {
    logger.warn('Region not served', { route, region: error.region, servedRegions: error.servedRegions });
    return htmlPage(
      400,
      'This region is served by another deployment',
      `This deployment authorizes sellers of ${error.servedRegions.join(', ')} only. Please authorize your ${error.region} account from the authorize link of the deployment that serves ${error.region}.`,
    );
  }
  if (error instanceof InvalidStateError) {
    logger.warn('Rejected state', { route, reason: error.reason });
    const why = {
      unknown: 'This authorization link is unknown or has already been used.',
      expired: 'This authorization link has expired (links are valid for 10 minutes).',
      'other-region': 'This authorization link was issued for another region.',
      'other-seller': 'This authorization link was issued for another seller account.',
    }[error.reason];
    return htmlPage(400, 'This authorization link is not valid', `${why} ${START_AGAIN}`);
  }
  if (error instanceof TokenExchangeError) {
    logger.error('Authorization code exchange failed', { route, lwaError: error.lwaCode });
    return htmlPage(
      502,
      'Amazon could not complete the authorization',
      `Login with Amazon did not accept the authorization. Nothing was stored. ${START_AGAIN}`,
    );
  }
  if (error instanceof AppCredentialsError) {
    // The operator's problem, not the seller's: the log says what to fix, the page stays generic.
    logger.error('App credentials are not usable', { route, detail: error.message });
    return htmlPage(
      503,
      'Authorization is not available yet',
      'This application is not fully set up. Please try again later.',
    );
  }
  logger.error('Unexpected failure', { route, error: errorName(error) });
  return htmlPage(500, 'Something went wrong', `Your authorization could not be completed. ${START_AGAIN}`);
}
