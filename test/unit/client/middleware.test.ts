import 'aws-sdk-client-mock-jest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy, { type MiddyfiedHandler, type Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidTokenRequestError, SellerNotAuthorizedError, TokenClient } from '../../../lambda/client';
import { type LwaAccessTokenContext, lwaAccessToken } from '../../../lambda/client/middleware';

// Most tests drive the middleware object the way middy does (`before` gets the request and must
// return undefined); the last ones run it inside a real middy handler.

const SELLER = 'A2EUQ1WTGCTBG2';
const ACCESS_TOKEN = 'Atza|IwEBIFirstAccessTokenValue0123456789';
const NOW = Date.parse('2026-11-24T20:19:26.000Z');
const HOUR = 3_600_000;

interface SellerEvent {
  sellerId: string;
}

const secretsManager = mockClient(SecretsManagerClient);

function newClient(): TokenClient {
  return new TokenClient({
    secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
    clock: () => NOW,
  });
}

function request<TEvent>(event: TEvent): Request<TEvent, unknown, Error, Context> {
  const context = { functionName: 'consumer', awsRequestId: 'req-1' } as Context;
  return { event, context, response: null, error: null, internal: {} };
}

async function runBefore<TEvent, TContext extends Context>(
  middleware: { before?: (request: Request<TEvent, unknown, Error, TContext>) => unknown },
  req: Request<TEvent, unknown, Error, Context>,
): Promise<unknown> {
  if (!middleware.before) throw new Error('the middleware has no before hook');
  return middleware.before(req as Request<TEvent, unknown, Error, TContext>);
}

beforeEach(() => {
  secretsManager.reset();
  secretsManager.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({
      sellerId: SELLER,
      region: 'NA',
      accessToken: ACCESS_TOKEN,
      accessTokenExpiresAt: new Date(NOW + HOUR).toISOString(),
      refreshToken: 'Atzr|x',
      tokenType: 'bearer',
      updatedAt: new Date(NOW).toISOString(),
    }),
  });
});

it('puts the resolved seller token on context.lwaAccessToken and returns nothing', async () => {
  // Prepare
  const client = newClient();
  const resolve = jest.fn((event: SellerEvent) => ({ sellerId: event.sellerId, region: 'NA' as const }));
  const middleware = lwaAccessToken({ client, resolve });
  const req = request<SellerEvent>({ sellerId: SELLER });

  // Act
  const returned = await runBefore(middleware, req);

  // Assess
  expect(returned).toBeUndefined();
  expect(resolve).toHaveBeenCalledWith(req.event, req.context);
  expect((req.context as LwaAccessTokenContext).lwaAccessToken).toEqual({
    accessToken: ACCESS_TOKEN,
    expiresAt: new Date(NOW + HOUR),
  });
  expect(middleware.name).toBe('lwaAccessToken');
});

it('uses a custom context key and an async resolver, and shares the client cache', async () => {
  // Prepare
  const client = newClient();
  const middleware = lwaAccessToken({
    client,
    contextKey: 'spApiToken',
    resolve: async (event: SellerEvent) => ({ sellerId: event.sellerId, region: 'NA' }),
  });
  const first = request<SellerEvent>({ sellerId: SELLER });
  const second = request<SellerEvent>({ sellerId: SELLER });

  // Act
  await runBefore(middleware, first);
  await runBefore(middleware, second);

  // Assess
  const context = second.context as LwaAccessTokenContext<'spApiToken'>;
  expect(context.spApiToken.accessToken).toBe(ACCESS_TOKEN);
  expect('lwaAccessToken' in context).toBe(false);
  expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 1);
});

it('propagates the client errors', async () => {
  // Prepare
  secretsManager
    .on(GetSecretValueCommand)
    .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
  const middleware = lwaAccessToken({
    client: newClient(),
    resolve: (event: SellerEvent) => ({ sellerId: event.sellerId, region: 'NA' }),
  });
  const invalid = lwaAccessToken({
    client: newClient(),
    resolve: () => ({ sellerId: 'not-a-seller', region: 'NA' }),
  });

  // Act
  const missing = runBefore(middleware, request<SellerEvent>({ sellerId: SELLER }));
  const refused = runBefore(invalid, request({}));

  // Assess
  await expect(missing).rejects.toBeInstanceOf(SellerNotAuthorizedError);
  await expect(refused).rejects.toBeInstanceOf(InvalidTokenRequestError);
});

it('propagates the resolver errors without reading a secret', async () => {
  // Prepare
  const middleware = lwaAccessToken({
    client: newClient(),
    resolve: (): never => {
      throw new Error('no seller in this event');
    },
  });
  const req = request({});

  // Act
  const before = runBefore(middleware, req);

  // Assess
  await expect(before).rejects.toThrow('no seller in this event');
  expect('lwaAccessToken' in req.context).toBe(false);
  expect(secretsManager).toReceiveCommandTimes(GetSecretValueCommand, 0);
});

it('types the handler context (checked by tsc --noEmit)', () => {
  // Never called: @middy/core can't load here, so this only has to compile.
  const typedHandler = (handler: MiddyfiedHandler<SellerEvent, string>) =>
    handler
      .use(lwaAccessToken({ resolve: (event: SellerEvent) => ({ sellerId: event.sellerId, region: 'NA' }) }))
      .handler(async (_event, context) => {
        // @ts-expect-error only the configured key is typed
        void context.spApiToken;
        return context.lwaAccessToken.accessToken;
      });

  expect(typeof typedHandler).toBe('function');
});

describe('inside a real middy handler', () => {
  it('hands the handler the seller token on its context', async () => {
    // Prepare
    const client = newClient();
    const handler = middy(async (_event: SellerEvent, context: Context & LwaAccessTokenContext) => ({
      token: context.lwaAccessToken.accessToken,
      expiresAt: context.lwaAccessToken.expiresAt.toISOString(),
    })).use(
      lwaAccessToken<SellerEvent>({
        client,
        resolve: (event) => ({ sellerId: event.sellerId, region: 'NA' }),
      }),
    );

    // Act
    // Lambda passes a plain context; the middleware adds `lwaAccessToken` before the handler runs.
    const lambdaContext = { functionName: 'consumer', awsRequestId: 'req-1' } as Context;
    const result = await handler({ sellerId: SELLER }, lambdaContext as Context & LwaAccessTokenContext);

    // Assess
    expect(result).toEqual({ token: ACCESS_TOKEN, expiresAt: new Date(NOW + HOUR).toISOString() });
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('fails the invocation with the typed error when the seller is not authorized', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );
    const inner = jest.fn();
    const handler = middy(inner).use(
      lwaAccessToken<SellerEvent>({
        client: newClient(),
        resolve: (event) => ({ sellerId: event.sellerId, region: 'NA' }),
      }),
    );

    // Act / Assess
    await expect(handler({ sellerId: SELLER }, {} as Context)).rejects.toBeInstanceOf(
      SellerNotAuthorizedError,
    );
    expect(inner).not.toHaveBeenCalled();
  });
});
