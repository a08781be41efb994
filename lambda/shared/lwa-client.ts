/**
 * A minimal Login with Amazon client. It makes one attempt per call and classifies failures;
 * retry policy belongs to the caller, because an authorization code must never be retried
 * blindly while a refresh may be.
 */

export interface LwaTokenResponse {
  readonly accessToken: string;
  /** Absent for client_credentials, and when the exchange sent no client secret. */
  readonly refreshToken?: string;
  readonly tokenType: string;
  readonly expiresIn: number;
}

/**
 * A 2xx refresh answer that rotated the refresh token but lacks a usable access token or
 * `expires_in` (invariant 10). The new refresh token must still be stored: the old one may already
 * be dead. Only a refresh returns this; other grants treat such an answer as `malformed_response`.
 */
export interface IncompleteTokenResponse {
  /** What made the answer unusable as an access token. */
  readonly incomplete: 'access_token' | 'expires_in';
  readonly refreshToken: string;
  /** The access token LWA sent, when it sent one without a usable lifetime. */
  readonly accessToken?: string;
  readonly tokenType: string;
}

export interface CodePairResponse {
  readonly userCode: string;
  readonly deviceCode: string;
  readonly verificationUri: string;
  readonly expiresIn: number;
  readonly interval: number;
}

/**
 * How a failure should be handled:
 * - `invalid_grant`: the seller must authorize again;
 * - `app`: the app's credentials are wrong (invalid_client / unauthorized_client), no seller is at fault;
 * - `invalid_scope`: a grantless scope the app may not use;
 * - `transient`: 429, 5xx, timeouts and network errors, worth retrying later;
 * - `device`: device-flow states (authorization_pending, slow_down, expired_token, access_denied);
 * - `request`: anything else LWA refused.
 */
export type LwaFailureKind = 'invalid_grant' | 'app' | 'invalid_scope' | 'transient' | 'device' | 'request';

/** An LWA failure. Its message carries the OAuth error code and status only, never a token or secret. */
export class LwaError extends Error {
  readonly code: string;
  readonly status?: number;
  readonly kind: LwaFailureKind;
  readonly retryAfterSeconds?: number;

  constructor(init: { code: string; status?: number; retryAfterSeconds?: number }) {
    super(`Login with Amazon answered ${init.code}${init.status ? ` (HTTP ${init.status})` : ''}`);
    this.name = 'LwaError';
    this.code = init.code;
    this.status = init.status;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.kind = classifyLwaFailure(init.code, init.status);
  }
}

const DEVICE_CODES = new Set(['authorization_pending', 'slow_down', 'expired_token', 'access_denied']);

export function classifyLwaFailure(code: string, status?: number): LwaFailureKind {
  if (DEVICE_CODES.has(code)) return 'device';
  if (code === 'invalid_grant') return 'invalid_grant';
  if (code === 'invalid_client' || code === 'unauthorized_client') return 'app';
  if (code === 'invalid_scope') return 'invalid_scope';
  if (
    code === 'server_error' ||
    code === 'temporarily_unavailable' ||
    code === 'timeout' ||
    code === 'network_error'
  ) {
    return 'transient';
  }
  if (status !== undefined && (status === 429 || status >= 500)) return 'transient';
  return 'request';
}

export interface LwaClientOptions {
  /** Per-request timeout. A hung LWA connection must not eat the refresher's whole budget. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** Per-call settings, for callers that must fit each call into what is left of their invocation. */
export interface LwaRequestOptions {
  /** Overrides the client's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
}

export interface ClientCredentials {
  readonly clientId: string;
  /** Omitted on purpose only by callers that want an access-only token. */
  readonly clientSecret?: string;
}

export const TOKEN_PATH = '/auth/o2/token';
/** LWA access tokens live an hour; anything beyond a day is treated as a day. */
export const MAX_EXPIRES_IN_SECONDS = 86_400;
export const CODE_PAIR_PATH = '/auth/o2/create/codepair';

export class LwaClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: LwaClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  exchangeAuthorizationCode(
    baseUrl: string,
    input: ClientCredentials & { code: string; redirectUri: string },
    request?: LwaRequestOptions,
  ): Promise<LwaTokenResponse> {
    return this.requestToken(
      baseUrl,
      {
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: input.redirectUri,
        client_id: input.clientId,
        ...(input.clientSecret !== undefined ? { client_secret: input.clientSecret } : {}),
      },
      request,
    );
  }

  /** Resolves to an `IncompleteTokenResponse` when LWA rotated the refresh token but sent no usable access token. */
  async refreshAccessToken(
    baseUrl: string,
    input: ClientCredentials & { refreshToken: string },
    request?: LwaRequestOptions,
  ): Promise<LwaTokenResponse | IncompleteTokenResponse> {
    const body = await this.post(
      `${baseUrl}${TOKEN_PATH}`,
      {
        grant_type: 'refresh_token',
        refresh_token: input.refreshToken,
        client_id: input.clientId,
        ...(input.clientSecret !== undefined ? { client_secret: input.clientSecret } : {}),
      },
      request,
    );
    const complete = tokenResponse(body);
    if (complete) return complete;
    const refreshToken = nonEmptyString(body.refresh_token);
    if (!refreshToken) throw new LwaError({ code: 'malformed_response' });
    const accessToken = nonEmptyString(body.access_token);
    return {
      incomplete: accessToken ? 'expires_in' : 'access_token',
      refreshToken,
      accessToken,
      tokenType: nonEmptyString(body.token_type) ?? 'bearer',
    };
  }

  grantlessToken(
    baseUrl: string,
    input: ClientCredentials & { scope: string },
    request?: LwaRequestOptions,
  ): Promise<LwaTokenResponse> {
    return this.requestToken(
      baseUrl,
      {
        grant_type: 'client_credentials',
        scope: input.scope,
        client_id: input.clientId,
        ...(input.clientSecret !== undefined ? { client_secret: input.clientSecret } : {}),
      },
      request,
    );
  }

  deviceToken(
    baseUrl: string,
    input: { clientId: string; deviceCode: string; userCode: string },
    request?: LwaRequestOptions,
  ): Promise<LwaTokenResponse> {
    return this.requestToken(
      baseUrl,
      {
        grant_type: 'device_code',
        device_code: input.deviceCode,
        user_code: input.userCode,
        client_id: input.clientId,
      },
      request,
    );
  }

  async createCodePair(
    baseUrl: string,
    input: { clientId: string; scope: string },
    request?: LwaRequestOptions,
  ): Promise<CodePairResponse> {
    const body = await this.post(
      `${baseUrl}${CODE_PAIR_PATH}`,
      {
        response_type: 'device_code',
        client_id: input.clientId,
        scope: input.scope,
      },
      request,
    );
    const userCode = body.user_code;
    const deviceCode = body.device_code;
    const verificationUri = body.verification_uri;
    if (
      typeof userCode !== 'string' ||
      typeof deviceCode !== 'string' ||
      typeof verificationUri !== 'string'
    ) {
      throw new LwaError({ code: 'malformed_response' });
    }
    return {
      userCode,
      deviceCode,
      verificationUri,
      expiresIn: positiveNumber(body.expires_in, 600),
      interval: positiveNumber(body.interval, 5),
    };
  }

  private async requestToken(
    baseUrl: string,
    form: Record<string, string>,
    request?: LwaRequestOptions,
  ): Promise<LwaTokenResponse> {
    const response = tokenResponse(await this.post(`${baseUrl}${TOKEN_PATH}`, form, request));
    if (!response) throw new LwaError({ code: 'malformed_response' });
    return response;
  }

  private async post(
    url: string,
    form: Record<string, string>,
    request?: LwaRequestOptions,
  ): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
          accept: 'application/json',
        },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(request?.timeoutMs ?? this.timeoutMs),
      });
    } catch (error) {
      // By name, not `instanceof Error`: fetch rejects with a DOMException that may come from
      // another realm (undici's, or the host's under jest), and then the instanceof check fails.
      const name = (error as { name?: unknown } | null)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      throw new LwaError({ code: timedOut ? 'timeout' : 'network_error' });
    }
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = await response.json();
      if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      // A non-JSON body (a load balancer's HTML 503, say) is classified by its status alone.
    }
    if (!response.ok) {
      const code =
        typeof body.error === 'string' && /^[a-z_]{1,64}$/i.test(body.error)
          ? body.error
          : `http_${response.status}`;
      throw new LwaError({
        code,
        status: response.status,
        retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after')),
      });
    }
    return body;
  }
}

/** The token answer, or undefined when it lacks a non-empty access token or a positive `expires_in`. */
function tokenResponse(body: Record<string, unknown>): LwaTokenResponse | undefined {
  const accessToken = nonEmptyString(body.access_token);
  // Number(null) is 0 and Number('') is 0, so a missing or blank expires_in is refused too.
  const expiresIn = Number(body.expires_in);
  if (!accessToken || !Number.isFinite(expiresIn) || expiresIn <= 0) return undefined;
  return {
    accessToken,
    refreshToken: nonEmptyString(body.refresh_token),
    tokenType: typeof body.token_type === 'string' ? body.token_type : 'bearer',
    // A nonsensical lifetime must not break the write that stores a rotated refresh token.
    expiresIn: Math.min(expiresIn, MAX_EXPIRES_IN_SECONDS),
  };
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function positiveNumber(value: unknown, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Retry-After is either delta-seconds or an HTTP date; unparseable values are ignored. */
export function parseRetryAfter(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}
