import type { Region } from '../shared/region-codes';

/**
 * Base of every error the token client raises, so a caller can map all of them at its edge with
 * one `instanceof`. Messages name the secret and say what to do next; they never contain a token.
 */
export class TokenClientError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TokenClientError';
  }
}

/** The request was refused before any AWS call: a malformed seller id, region or scope. */
export class InvalidTokenRequestError extends TokenClientError {
  readonly field: string;

  constructor(field: string, expected: string, received: unknown) {
    super(`Invalid token request: ${field} must be ${expected}, got ${describe(received)}. Fix the caller.`);
    this.name = 'InvalidTokenRequestError';
    this.field = field;
  }
}

/**
 * The client's configuration cannot serve the read: `TOKEN_SECRET_REGIONS` (or the `secretRegions`
 * option) is malformed or does not map the requested region, or options contradict each other.
 * `setting` names what to fix. Raised at construction, or before any AWS call for a read.
 */
export class TokenClientConfigError extends TokenClientError {
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.name = 'TokenClientConfigError';
    this.setting = setting;
  }
}

export type SellerNotAuthorizedReason = 'NOT_AUTHORIZED' | 'REAUTH_REQUIRED';

/** The seller has no token in that region, or must authorize the application again. */
export class SellerNotAuthorizedError extends TokenClientError {
  readonly sellerId: string;
  readonly region: Region;
  readonly reason: SellerNotAuthorizedReason;

  constructor(input: {
    sellerId: string;
    region: Region;
    secretName: string;
    reason: SellerNotAuthorizedReason;
    cause?: unknown;
  }) {
    const { sellerId, region, secretName, reason } = input;
    const link = `send them to the /authorize?region=${region} link`;
    super(
      reason === 'REAUTH_REQUIRED'
        ? `Seller ${sellerId} must authorize this application again in region ${region}: LWA rejected the stored refresh token and the sellers table marks the seller REAUTH_REQUIRED; ${link}.`
        : `Seller ${sellerId} has not authorized this application in region ${region} (there is no secret ${secretName}); ${link}.`,
      input.cause === undefined ? undefined : { cause: input.cause },
    );
    this.name = 'SellerNotAuthorizedError';
    this.sellerId = sellerId;
    this.region = region;
    this.reason = reason;
  }
}

/**
 * Even a fresh read of the secret holds a token that has expired or is inside the cache margin.
 * `refreshable` is false for a seller whose secret has no refresh token (status ACCESS_ONLY).
 */
export class TokenExpiredError extends TokenClientError {
  readonly secretName: string;
  readonly expiresAt: Date;
  readonly refreshable: boolean;

  constructor(input: {
    secretName: string;
    expiresAt: Date;
    marginSeconds: number;
    refreshable: boolean;
    /** For a seller token: who must authorize again when it can't be refreshed. */
    seller?: { sellerId: string; region: Region };
    /** The sellers table status, when the client was given the table. */
    status?: string;
  }) {
    const { secretName, expiresAt, marginSeconds, refreshable, seller, status } = input;
    const stale = `The access token in ${secretName} expired at ${expiresAt.toISOString()} or is within the ${marginSeconds} s cache margin, even on a fresh read`;
    const statusNote = status === undefined ? '' : ` (sellers table status: ${status})`;
    super(
      refreshable
        ? `${stale}${statusNote}: the refresher is behind or failing; check the refresh Lambda's alarms/DLQ and the seller's lastError in the sellers table.`
        : `${stale}${statusNote}, and it cannot be refreshed because LWA returned no refresh token when ${seller ? `seller ${seller.sellerId}` : 'the seller'} authorized. Configure the app's client secret, then have the seller authorize again at /authorize?region=${seller?.region ?? 'NA'}.`,
    );
    this.name = 'TokenExpiredError';
    this.secretName = secretName;
    this.expiresAt = expiresAt;
    this.refreshable = refreshable;
  }
}

/**
 * Reading the secret (or the seller's status) failed for another reason: permissions, KMS, a
 * malformed secret, throttling after the SDK's own retries. `cause` keeps the original error.
 */
export class TokenReadError extends TokenClientError {
  readonly secretName: string;
  /** `name` of the underlying error, e.g. `AccessDeniedException` or `MalformedTokenSecretError`. */
  readonly causeName: string;

  constructor(message: string, input: { secretName: string; cause: unknown }) {
    super(message, { cause: input.cause });
    this.name = 'TokenReadError';
    this.secretName = input.secretName;
    this.causeName = errorName(input.cause);
  }
}

export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

/**
 * Callers sometimes pass the wrong variable, and that variable can be a token, so only short
 * values without LWA's `|` separator are echoed back.
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= 32 && !value.includes('|')
      ? JSON.stringify(value)
      : `a ${value.length}-character string`;
  }
  return value === null ? 'null' : typeof value;
}
