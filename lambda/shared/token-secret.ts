import { isRegion, type Region } from './region-codes';

/** The JSON stored in a token secret (DESIGN.md, "Token secrets"). Timestamps are ISO 8601 UTC. */
export interface TokenSecretValue {
  /** Present on seller (and device account) secrets. */
  readonly sellerId?: string;
  /** Present on grantless secrets instead of `sellerId`, and on device accounts. */
  readonly scope?: string;
  /** Present on device-flow accounts instead of `sellerId`. */
  readonly accountId?: string;
  readonly region: Region;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: string;
  /** Absent for grantless tokens and for exchanges that returned no refresh token. */
  readonly refreshToken?: string;
  readonly tokenType: string;
  readonly updatedAt: string;
}

/** Raised when a stored secret does not hold the contract JSON; the message never includes the value. */
export class MalformedTokenSecretError extends Error {
  constructor(secretName: string, problem: string) {
    super(`Token secret ${secretName} is malformed (${problem}); re-authorize the seller to rewrite it.`);
    this.name = 'MalformedTokenSecretError';
  }
}

export function parseTokenSecret(secretName: string, secretString: string | undefined): TokenSecretValue {
  if (!secretString) throw new MalformedTokenSecretError(secretName, 'no SecretString');
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    throw new MalformedTokenSecretError(secretName, 'not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new MalformedTokenSecretError(secretName, 'not an object');
  const value = raw as Record<string, unknown>;
  const requireString = (key: string): string => {
    const field = value[key];
    if (typeof field !== 'string' || field.length === 0) {
      throw new MalformedTokenSecretError(secretName, `missing ${key}`);
    }
    return field;
  };
  const region = requireString('region');
  if (!isRegion(region)) throw new MalformedTokenSecretError(secretName, 'unknown region');
  const accessTokenExpiresAt = requireString('accessTokenExpiresAt');
  if (Number.isNaN(Date.parse(accessTokenExpiresAt))) {
    throw new MalformedTokenSecretError(secretName, 'accessTokenExpiresAt is not a date');
  }
  const optionalString = (key: string): string | undefined =>
    typeof value[key] === 'string' && value[key] !== '' ? (value[key] as string) : undefined;
  return {
    sellerId: optionalString('sellerId'),
    accountId: optionalString('accountId'),
    scope: optionalString('scope'),
    region,
    accessToken: requireString('accessToken'),
    accessTokenExpiresAt,
    refreshToken: optionalString('refreshToken'),
    tokenType: optionalString('tokenType') ?? 'bearer',
    updatedAt: optionalString('updatedAt') ?? accessTokenExpiresAt,
  };
}

/** Key order is fixed so the stored JSON reads the same as the contract example. */
export function serializeTokenSecret(value: TokenSecretValue): string {
  return JSON.stringify({
    ...(value.sellerId !== undefined ? { sellerId: value.sellerId } : {}),
    ...(value.accountId !== undefined ? { accountId: value.accountId } : {}),
    ...(value.scope !== undefined ? { scope: value.scope } : {}),
    region: value.region,
    accessToken: value.accessToken,
    accessTokenExpiresAt: value.accessTokenExpiresAt,
    ...(value.refreshToken !== undefined ? { refreshToken: value.refreshToken } : {}),
    tokenType: value.tokenType,
    updatedAt: value.updatedAt,
  });
}
