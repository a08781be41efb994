/** Public types of the Login with Amazon emulator. */

export type LwaGrantType = 'authorization_code' | 'refresh_token' | 'client_credentials' | 'device_code';

export interface LwaClientApp {
  clientId: string;
  clientSecret: string;
  /** When set, any other grant from this client is answered with `unauthorized_client`. */
  allowedGrants?: LwaGrantType[];
  /** Epoch ms after which `clientSecret` is refused; default never. */
  clientSecretExpiresAt?: number;
  /** A second secret that also works until `previousClientSecretExpiresAt` (epoch ms). */
  previousClientSecret?: string;
  previousClientSecretExpiresAt?: number;
}

/** What `rotateClientSecret()` did; the new secret is what Amazon's notification carries. */
export interface ClientSecretRotation {
  clientId: string;
  newClientSecret: string;
  /** Epoch ms. */
  newClientSecretExpiresAt: number;
  /** Epoch ms; the old secret works until then. */
  oldClientSecretExpiresAt: number;
}

export type LwaRotation = 'never' | 'every-refresh';

export interface LwaEmulatorOptions {
  /** Default: one client `amzn1.application-oa2-client.emulator` / `emulator-client-secret`. */
  clients?: LwaClientApp[];
  /** Access token lifetime in seconds, default 3600. */
  expiresIn?: number;
  /** `every-refresh`: each refresh_token grant returns a new refresh token and revokes the presented one. */
  rotation?: LwaRotation;
  /** Injectable clock, epoch ms; default `Date.now`. Drives every expiry the emulator checks. */
  now?: () => number;
  /** Default 0 (a free port). The host is always 127.0.0.1. */
  port?: number;
  /** Scopes accepted by `client_credentials`. */
  grantlessScopes?: string[];
  /** Scopes accepted by `/auth/o2/create/codepair`. */
  deviceScopes?: string[];
  /**
   * Where the consent page (`GET /apps/authorize/consent`) sends the seller: the app's redirect
   * URI. Default: unset, and the page says so until `setConsentCallbackUrl()` is called.
   */
  consentCallbackUrl?: string;
  /** Seller ids the consent page offers. Default: A1LOCALSELLER01, A2LOCALSELLER02, A3LOCALSELLER03. */
  sampleSellerIds?: string[];
}

export type LwaOAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable';

/**
 * Which requests a fault applies to. Unset fields match everything; `path` defaults to both LWA
 * endpoints (`/auth/o2/token` and `/auth/o2/create/codepair`). `subject` is the seller id for
 * authorization_code/refresh_token grants, the scope for client_credentials, the user code for device_code.
 */
export interface LwaFaultMatch {
  grantType?: string;
  subject?: string;
  path?: string;
  /** How many matching requests the fault applies to, default 1. */
  times?: number;
}

export type LwaFault =
  | ({ kind: 'status'; status: number; error?: string; retryAfterSeconds?: number } & LwaFaultMatch)
  | ({ kind: 'oauth-error'; error: LwaOAuthError } & LwaFaultMatch)
  | ({ kind: 'latency'; ms: number } & LwaFaultMatch)
  | ({ kind: 'hang' } & LwaFaultMatch)
  /**
   * The real answer (a refresh still rotates the refresh token), minus these fields of a 2xx
   * body: LWA's odd answers that must not lose a rotated token (invariant 10).
   */
  | ({ kind: 'drop-fields'; fields: Array<'access_token' | 'expires_in'> } & LwaFaultMatch);

export interface LwaRequestLogEntry {
  path: string;
  grantType?: string;
  subject?: string;
  /** Which of the client's secrets the request presented (`rejected`: neither, or expired). */
  clientSecretUsed?: 'current' | 'previous' | 'rejected';
  /** HTTP status answered; 0 while unanswered (hung, or still in an injected latency). */
  status: number;
  /** Injected-clock time the request arrived. */
  at: number;
}

/**
 * Holds one matching request until the test releases it. `before-validation` holds it before LWA
 * looks at the grant (a revocation meanwhile still counts); `after-validation` decides the answer
 * first (a rotation happens then) and holds only its delivery.
 */
export type LwaHoldMatch = LwaFaultMatch & { phase: 'before-validation' | 'after-validation' };

export interface LwaHold {
  /** Settles when a matching request has arrived (and, after validation, has been answered). */
  readonly arrived: Promise<void>;
  /** Lets the held request go on. */
  release(): void;
}

export interface LwaEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly url: string;
  /** Closes the server; destroys open (including hung) connections so it always resolves. */
  stop(): Promise<void>;

  /** The `spapi_oauth_code` Seller Central's consent would hand the browser. Single use, valid 5 minutes. */
  issueAuthorizationCode(input: { sellerId: string; clientId?: string }): string;
  setExpiresIn(seconds: number): void;
  setRotation(mode: LwaRotation): void;
  /** Every refresh token of that subject answers `invalid_grant` from now on. */
  revokeRefreshTokens(subject: string): void;
  approveDevice(userCode: string): void;
  denyDevice(userCode: string): void;
  /** The app's redirect URI, where the consent page sends the seller with a code or a denial. */
  setConsentCallbackUrl(url: string): void;

  injectFault(fault: LwaFault): void;
  /** Holds the next request matching `match` (in-process only; `stop()` lets it go). */
  hold(match: LwaHoldMatch): LwaHold;
  clearFaults(): void;

  /** Every code, access token, refresh token and device code issued so far. */
  issuedSecrets(): string[];
  isAccessTokenValid(token: string): boolean;
  isRefreshTokenValid(token: string): boolean;
  currentRefreshToken(subject: string): string | undefined;
  /** Whether a token is live, and for which client and (grantless) scope. */
  introspectAccessToken(token: string): { active: boolean; clientId?: string; scope?: string };
  /** Issues a new client secret; the old one keeps working for `oldSecretValidForMs` (default 7 days). */
  rotateClientSecret(input?: {
    clientId?: string;
    oldSecretValidForMs?: number;
    newSecretValidForMs?: number;
  }): ClientSecretRotation;
  /** Every client secret the emulator ever accepted, for leak scans. */
  clientSecrets(): string[];
  /** When the current and previous client secrets expire (epoch ms), never the secrets. */
  clientSecretExpiries(clientId?: string): { currentExpiresAt?: number; previousExpiresAt?: number };
  /** Requests to `/auth/o2/token`, by grant_type (all if omitted), faulted ones included. */
  callCount(grantType?: string): number;
  /** Requests to the LWA endpoints (not the control interface); never holds a secret. */
  readonly requests: ReadonlyArray<Readonly<LwaRequestLogEntry>>;
}
