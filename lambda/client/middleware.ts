import type { MiddlewareObj } from '@middy/core';
import type { Context as LambdaContext } from 'aws-lambda';
import {
  type AccessToken,
  defaultTokenClient,
  type SellerTokenRequest,
  type TokenClient,
} from './token-client';

export const DEFAULT_CONTEXT_KEY = 'lwaAccessToken';

/** The handler's context once the middleware ran: `context.lwaAccessToken` (or your `contextKey`). */
export type LwaAccessTokenContext<TKey extends string = typeof DEFAULT_CONTEXT_KEY> = LambdaContext & {
  readonly [K in TKey]: AccessToken;
};

export interface LwaAccessTokenOptions<TEvent, TKey extends string> {
  /**
   * Picks the seller the invocation acts for. Its errors, and the client's (`SellerNotAuthorizedError`,
   * `TokenExpiredError`, …), propagate to middy's `onError` chain.
   */
  readonly resolve: (
    event: TEvent,
    context: LambdaContext,
  ) => SellerTokenRequest | Promise<SellerTokenRequest>;
  /**
   * @default defaultTokenClient(), the process-wide client the convenience functions use
   */
  readonly client?: TokenClient;
  /**
   * @default 'lwaAccessToken'
   */
  readonly contextKey?: TKey;
}

/**
 * middy middleware that puts the seller's current access token on the context before the handler
 * runs: `middy(handler).use(lwaAccessToken({ resolve: (event) => ({ sellerId: …, region: 'NA' }) }))`,
 * with the handler typed `(event, context: LwaAccessTokenContext) => …`.
 */
export function lwaAccessToken<TEvent = unknown, TKey extends string = typeof DEFAULT_CONTEXT_KEY>(
  options: LwaAccessTokenOptions<TEvent, TKey>,
): MiddlewareObj<TEvent, unknown, Error, LwaAccessTokenContext<TKey>> {
  const contextKey: string = options.contextKey ?? DEFAULT_CONTEXT_KEY;
  return {
    name: 'lwaAccessToken',
    // Returns nothing: a value returned from `before` would become middy's early response.
    before: async (request) => {
      const seller = await options.resolve(request.event, request.context);
      const token = await (options.client ?? defaultTokenClient()).getAccessToken(seller);
      (request.context as unknown as Record<string, AccessToken>)[contextKey] = token;
    },
  };
}
