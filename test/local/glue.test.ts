import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { callbackUrlFor } from '../../lambda/auth/redirect-uri';
import { findRoute, matchPath, toProxyEvent } from '../../local/api-gateway';
import { eventFromLog, parseLogEntry } from '../../local/events';
import { handlerEnvironment } from '../../local/local-run';
import { parseOptions } from '../../local/options';
import { refreshedBetween, type SellerStatusRow } from '../../local/seller-status';
import type { EmulatedDeployment } from '../../test/support/emulated-deployment';

function request(url: string, rawHeaders: string[]): IncomingMessage {
  return {
    url,
    rawHeaders,
    headers: {},
    httpVersion: '1.1',
    socket: new Socket(),
  } as unknown as IncomingMessage;
}

const endpoint = { domainName: 'localhost:3000', stage: 'local' };

describe('the local API Gateway', () => {
  it('builds the REST proxy event from which the callback derives http://localhost:<port>/callback', () => {
    // Act
    const event = toProxyEvent(
      request('/callback?state=s&selling_partner_id=A1&state=t', [
        'Host',
        '127.0.0.1:3000',
        'X-Forwarded-Proto',
        'https',
      ]),
      { path: '/callback', method: 'GET' },
      null,
      endpoint,
    );

    // Assess
    expect(callbackUrlFor(event, undefined)).toBe('http://localhost:3000/callback');
    expect(event.multiValueQueryStringParameters).toEqual({ state: ['s', 't'], selling_partner_id: ['A1'] });
    expect(event.queryStringParameters).toEqual({ state: 't', selling_partner_id: 'A1' });
    // A client can't claim https: forwarding headers are API Gateway's.
    expect(event.multiValueHeaders['X-Forwarded-Proto']).toEqual(['http']);
    expect(event.requestContext).toMatchObject({
      domainName: 'localhost:3000',
      path: '/callback',
      stage: 'local',
    });
  });

  it('routes by path and method', () => {
    // Prepare
    const routes = [
      { method: 'GET', path: '/authorize', functionName: 'authorize', timeoutMs: 1, handler: jest.fn() },
    ] as const;

    // Act + Assess
    expect(findRoute(routes, 'GET', '/authorize')).toBe(routes[0]);
    expect(findRoute(routes, 'POST', '/authorize')).toBe('method-not-allowed');
    expect(findRoute(routes, 'GET', '/nowhere')).toBeUndefined();
  });

  it('matches {param} templates as API Gateway does, one non-empty segment each', () => {
    expect(matchPath('/device/authorizations/{id}', '/device/authorizations/abc_DEF-123')).toEqual({
      id: 'abc_DEF-123',
    });
    expect(matchPath('/device/authorizations/{id}', '/device/authorizations/')).toBeUndefined();
    expect(matchPath('/device/authorizations/{id}', '/device/authorizations/a/b')).toBeUndefined();
    expect(matchPath('/device/authorizations', '/device/authorizations')).toEqual({});
  });

  it('puts the template parameters on the event', () => {
    // Prepare
    const req = request('/device/authorizations/abc', ['Host', 'localhost:3000']);

    // Act
    const event = toProxyEvent(req, { path: '/device/authorizations/{id}', method: 'GET' }, null, endpoint);

    // Assess
    expect(event.resource).toBe('/device/authorizations/{id}');
    expect(event.pathParameters).toEqual({ id: 'abc' });
  });
});

describe('events from the handlers’ log lines', () => {
  const line = (fields: Record<string, unknown>) =>
    parseLogEntry(JSON.stringify({ timestamp: 't', service: 's', ...fields }));

  it('turns authorizations, denials and failures into one line each, and routine lines into none', () => {
    // Act
    const authorized = line({ level: 'INFO', message: 'Seller authorized', sellerId: 'A1X', region: 'EU' });
    const declined = line({
      level: 'INFO',
      message: 'Seller declined authorization',
      region: 'EU',
      error: 'access_denied',
    });
    const failed = line({
      level: 'WARN',
      message: 'Refresh failed; will retry later',
      sellerId: 'A1X',
      region: 'EU',
      lwaError: 'server_error',
      failureCount: 1,
      xray_trace_id: 'not-shown',
    });
    const routine = line({ level: 'INFO', message: 'Refresh run finished', due: 1 });

    // Assess
    expect(authorized && eventFromLog(authorized)).toEqual({
      kind: 'authorized',
      text: 'A1X (EU): tokens stored, refresh scheduled',
    });
    expect(declined && eventFromLog(declined)).toEqual({
      kind: 'declined',
      text: 'EU: access_denied, nothing stored',
    });
    expect(failed && eventFromLog(failed)).toEqual({
      kind: 'failure',
      text: 'A1X (EU): Refresh failed; will retry later [lwaError=server_error, failureCount=1]',
    });
    expect(routine && eventFromLog(routine)).toBeUndefined();
    expect(parseLogEntry('not json')).toBeUndefined();
  });
});

describe('refreshes read from the sellers table', () => {
  const row = (fields: Partial<SellerStatusRow>): SellerStatusRow => ({
    sellerId: 'A1X',
    region: 'EU',
    kind: 'seller',
    status: 'ACTIVE',
    authorizedAt: 100,
    lastRefreshedAt: 100,
    ...fields,
  });

  it('counts a later lastRefreshedAt of the same authorization, not a new authorization', () => {
    // Act
    const refreshed = refreshedBetween([row({})], [row({ lastRefreshedAt: 160 })]);
    const reauthorized = refreshedBetween([row({})], [row({ authorizedAt: 170, lastRefreshedAt: 170 })]);
    const newSeller = refreshedBetween([], [row({})]);

    // Assess
    expect(refreshed).toHaveLength(1);
    expect(reauthorized).toEqual([]);
    expect(newSeller).toEqual([]);
  });
});

describe('the handlers’ environment', () => {
  it('lifts the floor between writes of one secret, so 120 s tokens are refreshed about every minute', () => {
    // Prepare
    const options = parseOptions([], {});
    if (options === 'help') throw new Error('parseOptions answered help');
    const deployment = { env: { SELLER_TABLE_NAME: 'sellers' } } as unknown as EmulatedDeployment;

    // Act
    const env = handlerEnvironment(options, deployment, undefined);

    // Assess
    expect(env).toMatchObject({ SELLER_TABLE_NAME: 'sellers', MIN_SECRET_WRITE_INTERVAL_SECONDS: '0' });
  });
});
