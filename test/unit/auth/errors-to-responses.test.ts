import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { UnknownMarketplaceError } from '../../../lambda/auth/consent-target';
import { errorToResponse } from '../../../lambda/auth/errors-to-responses';
import { BadParameterError } from '../../../lambda/auth/query-params';
import { escapeHtml, htmlPage, redirect, SECURITY_HEADERS } from '../../../lambda/auth/responses';
import {
  InvalidStateError,
  RegionNotServedError,
  TokenExchangeError,
} from '../../../lambda/auth/seller-authorization';
import { AppCredentialsError } from '../../../lambda/shared/app-credentials';
import { LwaError } from '../../../lambda/shared/lwa-client';
import { MARKETPLACES } from '../../../lambda/shared/marketplaces';

function fakeLogger() {
  const calls: Array<{ level: string; args: unknown[] }> = [];
  const record =
    (level: string) =>
    (...args: unknown[]) =>
      calls.push({ level, args });
  const logger = { info: record('info'), warn: record('warn'), error: record('error') } as unknown as Logger;
  return { logger, calls, text: () => JSON.stringify(calls) };
}

function expectSecurityHeaders(response: APIGatewayProxyResult): void {
  expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
}

describe('errorToResponse', () => {
  it.each([
    [new BadParameterError('state', 'missing'), 400, 'The state parameter is missing.'],
    [
      new BadParameterError('spapi_oauth_code', 'duplicated'),
      400,
      'The spapi_oauth_code parameter is duplicated.',
    ],
    [
      new BadParameterError('spapi_oauth_code', 'oversized'),
      400,
      'The spapi_oauth_code parameter is oversized.',
    ],
    [
      new BadParameterError('selling_partner_id', 'malformed'),
      400,
      'The selling_partner_id parameter is malformed.',
    ],
    [new InvalidStateError('unknown'), 400, 'unknown or has already been used'],
    [new InvalidStateError('expired'), 400, 'has expired'],
    [new InvalidStateError('other-region'), 400, 'issued for another region'],
    [new InvalidStateError('other-seller'), 400, 'issued for another seller account'],
    [
      new RegionNotServedError('EU', ['NA', 'FE']),
      400,
      'This deployment authorizes sellers of NA, FE only. Please authorize your EU account from the authorize link of the deployment that serves EU.',
    ],
    [
      new TokenExchangeError('invalid_grant'),
      502,
      'Nothing was stored. Please start the authorization again',
    ],
    [
      new UnknownMarketplaceError('vendor', 'unknown', MARKETPLACES.slice(0, 2)),
      400,
      'no Vendor Central consent page. Valid marketplace parameters (country code or marketplace id): CA (A2EUQ1WTGCTBG2), US (ATVPDKIKX0DER).',
    ],
    [new UnknownMarketplaceError('seller', 'other-region', []), 400, 'a marketplace outside its region'],
    [new AppCredentialsError('App credentials secret x lacks clientSecret'), 503, 'not fully set up'],
    [new Error('boom'), 500, 'could not be completed'],
    ['not even an Error', 500, 'could not be completed'],
  ])('maps %p to %i with a clear page', (error, status, phrase) => {
    // Prepare
    const { logger } = fakeLogger();

    // Act
    const response = errorToResponse(error, logger, 'callback');

    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.body).toContain(escapeHtml(phrase));
    expect(response.headers).toMatchObject({ 'Content-Type': 'text/html; charset=utf-8' });
    expectSecurityHeaders(response);
  });

  it('asks the seller to authorize again after an LWA failure', () => {
    // Prepare
    const { logger } = fakeLogger();

    // Act
    const response = errorToResponse(new TokenExchangeError('server_error'), logger, 'callback');

    // Assess
    expect(response.body).toContain('start the authorization again');
  });

  it('logs the LWA error code and the route, nothing else from the error', () => {
    // Prepare
    const { logger, calls } = fakeLogger();

    // Act
    errorToResponse(new TokenExchangeError('invalid_grant'), logger, 'callback');

    // Assess
    expect(calls).toEqual([
      {
        level: 'error',
        args: ['Authorization code exchange failed', { route: 'callback', lwaError: 'invalid_grant' }],
      },
    ]);
  });

  it('logs and shows only the name of an unexpected error, whose message might hold a secret', () => {
    // Prepare
    const { logger, text } = fakeLogger();
    const error = new LwaError({ code: 'Atza|leaked-access-token' });

    // Act
    const response = errorToResponse(error, logger, 'callback');

    // Assess
    expect(response.statusCode).toBe(500);
    expect(text()).not.toContain('leaked-access-token');
    expect(response.body).not.toContain('leaked-access-token');
    expect(text()).toContain('LwaError');
  });

  it('keeps the operator detail of an app credentials problem in the log, not on the page', () => {
    // Prepare
    const { logger, text } = fakeLogger();
    const error = new AppCredentialsError(
      'App credentials secret lwa-app lacks clientSecret; see the README.',
    );

    // Act
    const response = errorToResponse(error, logger, 'authorize');

    // Assess
    expect(text()).toContain('lacks clientSecret');
    expect(response.body).not.toContain('lwa-app');
  });
});

describe('responses', () => {
  it('redirects with 302, an empty body and the security headers', () => {
    // Act
    const response = redirect('https://sellercentral.amazon.com/apps/authorize/consent?state=s');

    // Assess
    expect(response).toEqual({
      statusCode: 302,
      headers: {
        ...SECURITY_HEADERS,
        Location: 'https://sellercentral.amazon.com/apps/authorize/consent?state=s',
      },
      body: '',
    });
    expectSecurityHeaders(response);
  });

  it.each([200, 400, 403, 500, 502, 503])('sends the security headers on a %i page', (status) => {
    // Act
    const response = htmlPage(status, 'Title', 'Message');

    // Assess
    expect(response.statusCode).toBe(status);
    expectSecurityHeaders(response);
    expect(response.headers).toMatchObject({ 'X-Content-Type-Options': 'nosniff' });
    expect(String(response.headers?.['Content-Security-Policy'])).toContain("default-src 'none'");
  });

  it('escapes the title and message', () => {
    // Act
    const response = htmlPage(400, 'a <b> & "c"', "it's <script>alert(1)</script>");

    // Assess
    expect(response.body).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(response.body).toContain('it&#39;s &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(response.body).not.toContain('<script>');
  });
});
