import { type AppCredentialsProvider, withClientSecret } from '../shared/app-credentials';
import { storeAuthorizedTokens } from '../shared/authorized-tokens';
import type { BackoffOptions } from '../shared/backoff';
import { type Clock, toEpochSeconds } from '../shared/clock';
import { LifecycleEvent, type LifecycleEventPublisher } from '../shared/lifecycle-events';
import { type LwaClient, LwaError, type LwaTokenResponse } from '../shared/lwa-client';
import type { Region } from '../shared/regions';
import { sellerSecretName } from '../shared/secret-names';
import type { SellerRepository } from '../shared/seller-repository';
import { type SellerStatus, TokenKind } from '../shared/seller-table';
import { lwaTimeoutWithin, type RemainingTime, TimeBudgetExhaustedError } from '../shared/time-budget';
import type { TokenStore } from '../shared/token-store';
import type { AppListingSource } from './app-listing';
import type { StateRefusal, StateStore } from './state-store';

/** The state was unknown, expired, already used, or bound to another region or seller. */
export class InvalidStateError extends Error {
  constructor(readonly reason: StateRefusal) {
    super(`The authorization state is ${reason}.`);
    this.name = 'InvalidStateError';
  }
}

/** LWA refused or failed the code exchange. The code is single use, so the seller must start again. */
export class TokenExchangeError extends Error {
  constructor(readonly lwaCode: string) {
    super(`Login with Amazon could not exchange the authorization code (${lwaCode}).`);
    this.name = 'TokenExchangeError';
  }
}

/**
 * The region is not one this deployment refreshes. Authorizing it anyway would store a token
 * secret that no refresher renews, so the seller's access would lapse within the hour.
 */
export class RegionNotServedError extends Error {
  constructor(
    readonly region: Region,
    readonly servedRegions: readonly Region[],
  ) {
    super(`This deployment serves ${servedRegions.join(', ')}, not ${region}.`);
    this.name = 'RegionNotServedError';
  }
}

/** Throws {@link RegionNotServedError} unless `region` is one of `servedRegions`. */
export function assertRegionServed(region: Region, servedRegions: readonly Region[]): void {
  if (!servedRegions.includes(region)) throw new RegionNotServedError(region, servedRegions);
}

export interface StartAuthorizationDeps {
  readonly states: StateStore;
  readonly appListing: AppListingSource;
}

/** `/authorize`: a fresh single-use state bound to the region, and the Seller Central consent URL. */
export async function startAuthorization(
  deps: StartAuthorizationDeps,
  input: {
    region: Region;
    sellerCentralUrl: string;
    /** This deployment's callback, when the app registers several Redirect URIs (one per stack). */
    redirectUri?: string;
  },
): Promise<string> {
  // The listing first: a deployment without an application id must not leave unused states behind.
  const listing = await deps.appListing.get();
  const state = await deps.states.create({ region: input.region });
  const consent = new URL('/apps/authorize/consent', input.sellerCentralUrl);
  consent.searchParams.set('application_id', listing.applicationId);
  consent.searchParams.set('state', state);
  if (input.redirectUri !== undefined) consent.searchParams.set('redirect_uri', input.redirectUri);
  if (listing.draft) consent.searchParams.set('version', 'beta');
  return consent.toString();
}

/** `/login`: Seller Central started the flow; send the seller back to it with our state. */
export async function startLogin(
  deps: StartAuthorizationDeps,
  input: {
    amazonCallbackUri: URL;
    region: Region;
    amazonState: string;
    sellerId?: string;
    redirectUri: string;
  },
): Promise<string> {
  const listing = await deps.appListing.get();
  const state = await deps.states.create({ region: input.region, sellerId: input.sellerId });
  const target = new URL(input.amazonCallbackUri.toString());
  target.searchParams.set('redirect_uri', input.redirectUri);
  target.searchParams.set('amazon_state', input.amazonState);
  target.searchParams.set('state', state);
  if (listing.draft) target.searchParams.set('version', 'beta');
  return target.toString();
}

export interface CompleteAuthorizationDeps {
  readonly states: StateStore;
  readonly appCredentials: AppCredentialsProvider;
  readonly lwa: LwaClient;
  readonly tokens: TokenStore;
  readonly sellers: SellerRepository;
  /** `Seller authorized` / `Seller reauthorized`; best effort, never fails the callback. */
  readonly events: LifecycleEventPublisher;
  readonly clock: Clock;
  readonly random: () => number;
  readonly retry: BackoffOptions;
  readonly config: {
    /** Regions this deployment refreshes; a state or callback for any other region is refused. */
    readonly servedRegions?: readonly Region[];
    readonly tokenSecretPrefix: string;
    readonly lwaEndpoints: Readonly<Record<Region, string>>;
    readonly kmsKeyId: string;
    readonly leadSeconds: number;
    readonly spreadSeconds: number;
  };
}

export interface CompleteAuthorizationInput {
  readonly state: string;
  readonly sellerId: string;
  readonly code: string;
  readonly redirectUri: string;
  /** Present when the callback URL itself names a region; it must agree with the state's. */
  readonly regionHint?: Region;
  /**
   * What is left of the invocation (Lambda's `getRemainingTimeInMillis`). Each LWA call then gets
   * only the time beyond what the writes after it need; without it, the LWA client's own timeout.
   */
  readonly remainingTimeMs?: RemainingTime;
}

export interface AuthorizationOutcome {
  readonly sellerId: string;
  readonly region: Region;
  readonly status: typeof SellerStatus.Active | typeof SellerStatus.AccessOnly;
  readonly secretName: string;
  /** LWA returned no refresh token and the one already stored was kept (see `storeAuthorizedTokens`). */
  readonly keptStoredRefreshToken: boolean;
}

/**
 * `/callback`: consume the state, exchange the code once, then store the tokens (the item fenced
 * as PENDING, the secret, then the item back in service; see `storeAuthorizedTokens`) and tell
 * subscribers whether this was the seller's first authorization or a later one.
 */
export async function completeAuthorization(
  deps: CompleteAuthorizationDeps,
  input: CompleteAuthorizationInput,
): Promise<AuthorizationOutcome> {
  const served = deps.config.servedRegions;
  if (input.regionHint && served) assertRegionServed(input.regionHint, served);
  // Unusable app credentials fail here, before the single-use state is spent.
  await deps.appCredentials.get();
  // Spent only if it matches this callback: a refused callback leaves it for the seller's real one.
  const consumed = await deps.states.consume(input.state, {
    region: input.regionHint,
    sellerId: input.sellerId,
  });
  if (!consumed.ok) throw new InvalidStateError(consumed.reason);
  const { region } = consumed.state;
  // Before the code is exchanged: nothing may be stored for a region no refresher here renews.
  // (This stack's /authorize never issues such a state; one from before a change of
  // deployments is spent, as the seller must start again at the right stack anyway.)
  if (served) assertRegionServed(region, served);

  const issuedAtMs = deps.clock();
  const tokens = await exchangeCode(deps, region, input);

  const secretName = sellerSecretName(deps.config.tokenSecretPrefix, region, input.sellerId);
  const stored = await storeAuthorizedTokens(deps, {
    itemKey: input.sellerId,
    kind: TokenKind.Seller,
    region,
    secretName,
    tags: { sellerId: input.sellerId, region },
    identity: { sellerId: input.sellerId },
    tokens,
    issuedAtMs,
  });
  // Seller Central's "Renew" button and a revoke-and-reconnect both land here: the item as it was
  // before the write (read atomically by it) tells a first authorization from a later one.
  const isoSeconds = (seconds: number): string => new Date(seconds * 1000).toISOString();
  await deps.events.publish(
    stored.previousAuthorizedAt === undefined
      ? LifecycleEvent.SellerAuthorized
      : LifecycleEvent.SellerReauthorized,
    {
      sellerId: input.sellerId,
      region,
      kind: TokenKind.Seller,
      status: stored.status,
      authorizedAt: isoSeconds(toEpochSeconds(issuedAtMs)),
      ...(stored.authorizationExpiresAt !== undefined
        ? { authorizationExpiresAt: isoSeconds(stored.authorizationExpiresAt) }
        : {}),
      ...(stored.previousAuthorizedAt !== undefined
        ? { previousAuthorizedAt: isoSeconds(stored.previousAuthorizedAt) }
        : {}),
    },
  );
  return { sellerId: input.sellerId, region, secretName, ...stored };
}

/**
 * One exchange per usable client secret, and another only when LWA rejected the client itself:
 * during a client-secret rotation the previous secret, or a newer one than this container has
 * cached, may be the one LWA accepts. Any other failure ends the flow, because a code is single
 * use and must not be retried blindly.
 */
async function exchangeCode(
  deps: CompleteAuthorizationDeps,
  region: Region,
  input: CompleteAuthorizationInput,
): Promise<LwaTokenResponse> {
  // The client's rejection, kept so that running out of time for the fallback still reports it.
  let rejection: LwaError | undefined;
  try {
    return await withClientSecret(
      deps.appCredentials,
      deps.clock,
      async (credentials, clientSecret) => {
        // Read before every call, so the fallback to another secret only gets what the first call
        // left. Not calling LWA leaves the code unspent; calling it without time to store the
        // answer would lose the tokens.
        const timeoutMs = input.remainingTimeMs ? lwaTimeoutWithin(input.remainingTimeMs) : undefined;
        try {
          return await deps.lwa.exchangeAuthorizationCode(
            deps.config.lwaEndpoints[region],
            {
              code: input.code,
              redirectUri: input.redirectUri,
              clientId: credentials.clientId,
              clientSecret,
            },
            timeoutMs === undefined ? undefined : { timeoutMs },
          );
        } catch (error) {
          if (error instanceof LwaError) rejection = error;
          throw error;
        }
      },
      (error) => error instanceof LwaError && error.code === 'invalid_client',
    );
  } catch (error) {
    if (error instanceof TimeBudgetExhaustedError && rejection) {
      // After the operator fixes the client secret, the next callback must read it again.
      deps.appCredentials.invalidate();
      throw new TokenExchangeError(rejection.code);
    }
    throw new TokenExchangeError(
      error instanceof LwaError
        ? error.code
        : error instanceof TimeBudgetExhaustedError
          ? 'no_time_left'
          : 'unexpected_error',
    );
  }
}
