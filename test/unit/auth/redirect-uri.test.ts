import { callbackUrlFor } from '../../../lambda/auth/redirect-uri';
import { apiGatewayEvent } from '../../support/api-gateway-event';

describe('callbackUrlFor', () => {
  it('derives the callback URL from the API Gateway domain and stage of the request', () => {
    // Prepare
    const event = apiGatewayEvent('/login', [], {
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      stage: 'prod',
    });

    // Act
    const url = callbackUrlFor(event, undefined);

    // Assess
    expect(url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/callback');
  });

  it('is the same URL whichever route derives it, so /login and /callback agree on redirect_uri', () => {
    // Prepare
    const fromLogin = apiGatewayEvent('/login', [], { stage: 'v1' });
    const fromCallback = apiGatewayEvent('/callback', [], { stage: 'v1' });

    // Act
    const urls = [callbackUrlFor(fromLogin, undefined), callbackUrlFor(fromCallback, undefined)];

    // Assess
    expect(urls[0]).toBe('https://abc123.execute-api.us-east-1.amazonaws.com/v1/callback');
    expect(urls[1]).toBe(urls[0]);
  });

  it('prefers the configured override, e.g. behind a custom domain', () => {
    // Prepare
    const event = apiGatewayEvent('/login');

    // Act
    const url = callbackUrlFor(event, 'https://auth.example.com/callback');

    // Assess
    expect(url).toBe('https://auth.example.com/callback');
  });

  it('keeps http only when the request says it came over http (the local run)', () => {
    // Prepare
    const local = apiGatewayEvent('/login', [], { host: '127.0.0.1:3000', proto: 'http' });
    const odd = apiGatewayEvent('/login', [], { proto: 'gopher' });

    // Act
    const urls = [callbackUrlFor(local, undefined), callbackUrlFor(odd, undefined)];

    // Assess
    expect(urls[0]).toBe('http://127.0.0.1:3000/prod/callback');
    expect(urls[1]).toMatch(/^https:\/\//);
  });

  it('falls back to the Host header and the event path without a request context path', () => {
    // Prepare
    const event = apiGatewayEvent('/login', [], { host: 'api.example.com' });
    const bare = {
      ...event,
      headers: { host: 'api.example.com' },
      requestContext: { ...event.requestContext, domainName: undefined, path: undefined },
    } as unknown as typeof event;

    // Act
    const url = callbackUrlFor(bare, undefined);

    // Assess
    expect(url).toBe('https://api.example.com/callback');
  });
});
