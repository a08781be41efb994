/**
 * The LWA state machine, free of HTTP: codes, tokens, device code pairs and the grant rules.
 * Everything runs synchronously per request, so a rotation is atomic without locks.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type {
  ClientSecretRotation,
  LwaClientApp,
  LwaEmulatorOptions,
  LwaGrantType,
  LwaOAuthError,
  LwaRotation,
} from './types';

export const TOKEN_PATH = '/auth/o2/token';
export const CODEPAIR_PATH = '/auth/o2/create/codepair';

export const DEFAULT_CLIENT: LwaClientApp = {
  clientId: 'amzn1.application-oa2-client.emulator',
  clientSecret: 'emulator-client-secret',
};
const DEFAULT_GRANTLESS_SCOPES = [
  'sellingpartnerapi::notifications',
  'sellingpartnerapi::client_credential:rotation',
  'sellingpartnerapi::migration',
];
const DEFAULT_DEVICE_SCOPES = ['profile', 'profile:user_id', 'postal_code'];

const CODE_TTL_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const DEVICE_TTL_S = 600;
const DEVICE_INTERVAL_S = 5;

type DeviceError = 'authorization_pending' | 'slow_down' | 'expired_token' | 'access_denied';

export const OAUTH_ERROR_STATUS: Record<LwaOAuthError | DeviceError, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  access_denied: 400,
};

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type Params = ReadonlyMap<string, string>;

export function oauthError(error: LwaOAuthError | DeviceError, description: string): Reply {
  return { status: OAUTH_ERROR_STATUS[error], body: { error, error_description: description } };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// No 0/O or 1/I: a human types the user code.
const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function randomString(alphabet: string, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

interface CodeRecord {
  sellerId: string;
  clientId: string;
  expiresAt: number;
  used: boolean;
}
interface RefreshRecord {
  subject: string;
  clientId: string;
  active: boolean;
}
interface AccessRecord {
  expiresAt: number;
  clientId: string;
  /** Set for client_credentials (grantless) tokens. */
  scope?: string;
}
/** A client's secrets: the current one, and during a rotation the old one until it expires. */
interface ClientSecrets {
  current: string;
  currentExpiresAt?: number;
  previous?: string;
  previousExpiresAt?: number;
}
interface DevicePair {
  userCode: string;
  deviceCode: string;
  clientId: string;
  expiresAt: number;
  lastPollAt?: number;
  state: 'pending' | 'approved' | 'denied' | 'consumed';
}

function firstMissing(p: Params, names: string[]): string | undefined {
  return names.find((n) => !p.get(n));
}

function positiveInteger(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
    throw new Error(`${what} must be a positive integer`);
  return n;
}

export class LwaCore {
  private readonly clients = new Map<string, LwaClientApp>();
  private readonly grantlessScopes: Set<string>;
  private readonly deviceScopes: Set<string>;
  private expiresIn: number;
  private rotation: LwaRotation;

  private readonly codes = new Map<string, CodeRecord>();
  // Rotated/revoked tokens stay in the map (inactive) so faults can still be matched to their seller.
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly newestRefresh = new Map<string, string>();
  private readonly accessTokens = new Map<string, AccessRecord>();
  private readonly secrets = new Map<string, ClientSecrets>();
  private readonly everIssuedClientSecrets: string[] = [];
  private readonly devicesByUserCode = new Map<string, DevicePair>();
  private readonly devicesByDeviceCode = new Map<string, DevicePair>();

  constructor(
    opts: LwaEmulatorOptions,
    readonly now: () => number,
  ) {
    for (const c of opts.clients ?? [DEFAULT_CLIENT]) {
      this.clients.set(c.clientId, c);
      this.secrets.set(c.clientId, {
        current: c.clientSecret,
        currentExpiresAt: c.clientSecretExpiresAt,
        previous: c.previousClientSecret,
        previousExpiresAt: c.previousClientSecretExpiresAt,
      });
      this.everIssuedClientSecrets.push(c.clientSecret);
      if (c.previousClientSecret) this.everIssuedClientSecrets.push(c.previousClientSecret);
    }
    if (this.clients.size === 0) throw new Error('at least one client is required');
    this.grantlessScopes = new Set(opts.grantlessScopes ?? DEFAULT_GRANTLESS_SCOPES);
    this.deviceScopes = new Set(opts.deviceScopes ?? DEFAULT_DEVICE_SCOPES);
    this.expiresIn = positiveInteger(opts.expiresIn ?? 3600, 'expiresIn');
    this.rotation = this.checkRotation(opts.rotation ?? 'never');
  }

  /**
   * Every code, token and device code ever handed out, so a test can prove that none of them
   * appears in a log line or a response.
   */
  issuedSecrets(): string[] {
    return [
      ...this.codes.keys(),
      ...this.refreshTokens.keys(),
      ...this.accessTokens.keys(),
      ...this.devicesByDeviceCode.keys(),
    ];
  }

  // ---- test-side actions ----

  issueAuthorizationCode(input: { sellerId: string; clientId?: string }): string {
    if (!input.sellerId) throw new Error('sellerId is required');
    const clientId = input.clientId ?? this.clients.keys().next().value;
    if (clientId === undefined || !this.clients.has(clientId)) throw new Error(`unknown client ${clientId}`);
    const code = randomString(ALNUM, 20);
    this.codes.set(code, {
      sellerId: input.sellerId,
      clientId,
      expiresAt: this.now() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }

  setExpiresIn(seconds: number): void {
    this.expiresIn = positiveInteger(seconds, 'expiresIn');
  }

  setRotation(mode: LwaRotation): void {
    this.rotation = this.checkRotation(mode);
  }

  config(): { expiresIn: number; rotation: LwaRotation } {
    return { expiresIn: this.expiresIn, rotation: this.rotation };
  }

  revokeRefreshTokens(subject: string): void {
    for (const rec of this.refreshTokens.values()) if (rec.subject === subject) rec.active = false;
    this.newestRefresh.delete(subject);
  }

  approveDevice(userCode: string): void {
    this.pendingDevice(userCode).state = 'approved';
  }

  denyDevice(userCode: string): void {
    this.pendingDevice(userCode).state = 'denied';
  }

  isAccessTokenValid(token: string): boolean {
    const record = this.accessTokens.get(token);
    return record !== undefined && this.now() < record.expiresAt;
  }

  /** What a resource server (the SP-API emulator) learns about a presented access token. */
  introspectAccessToken(token: string): { active: boolean; clientId?: string; scope?: string } {
    const record = this.accessTokens.get(token);
    if (!record || this.now() >= record.expiresAt) return { active: false };
    return { active: true, clientId: record.clientId, ...(record.scope ? { scope: record.scope } : {}) };
  }

  /**
   * Issues a new client secret, as Amazon does after `rotateApplicationClientSecret`: the new
   * one works at once, the old one until `oldClientSecretExpiresAt`, then only the new one.
   */
  rotateClientSecret(
    input: { clientId?: string; oldSecretValidForMs?: number; newSecretValidForMs?: number } = {},
  ): ClientSecretRotation {
    const clientId = input.clientId ?? this.clients.keys().next().value;
    const secrets = clientId === undefined ? undefined : this.secrets.get(clientId);
    if (clientId === undefined || !secrets) throw new Error(`unknown client ${clientId}`);
    const now = this.now();
    const newClientSecret = `amzn1.oa2-cs.v1.${randomBytes(32).toString('hex')}`;
    const rotation: ClientSecretRotation = {
      clientId,
      newClientSecret,
      newClientSecretExpiresAt: now + (input.newSecretValidForMs ?? 180 * DAY_MS),
      oldClientSecretExpiresAt: now + (input.oldSecretValidForMs ?? 7 * DAY_MS),
    };
    this.secrets.set(clientId, {
      current: newClientSecret,
      currentExpiresAt: rotation.newClientSecretExpiresAt,
      previous: secrets.current,
      previousExpiresAt: rotation.oldClientSecretExpiresAt,
    });
    this.everIssuedClientSecrets.push(newClientSecret);
    return rotation;
  }

  /** Every client secret the emulator ever accepted, for leak scans. */
  clientSecrets(): string[] {
    return [...this.everIssuedClientSecrets];
  }

  /** When each of a client's secrets expires (no secret in the answer). */
  clientSecretExpiries(clientId?: string): { currentExpiresAt?: number; previousExpiresAt?: number } {
    const secrets = this.secrets.get(clientId ?? this.clients.keys().next().value ?? '');
    return { currentExpiresAt: secrets?.currentExpiresAt, previousExpiresAt: secrets?.previousExpiresAt };
  }

  isRefreshTokenValid(token: string): boolean {
    return this.refreshTokens.get(token)?.active === true;
  }

  currentRefreshToken(subject: string): string | undefined {
    return this.newestRefresh.get(subject);
  }

  /** Who a request is about, for fault matching and the request log. Never returns a secret. */
  subjectOf(path: string, p: Params): string | undefined {
    if (path !== TOKEN_PATH) return undefined;
    switch (p.get('grant_type')) {
      case 'authorization_code':
        return this.codes.get(p.get('code') ?? '')?.sellerId;
      case 'refresh_token':
        return this.refreshTokens.get(p.get('refresh_token') ?? '')?.subject;
      case 'client_credentials':
        return p.get('scope');
      case 'device_code':
        return p.get('user_code') ?? this.devicesByDeviceCode.get(p.get('device_code') ?? '')?.userCode;
      default:
        return undefined;
    }
  }

  // ---- endpoints ----

  token(p: Params): Reply {
    const grantType = p.get('grant_type');
    switch (grantType) {
      case undefined:
      case '':
        return oauthError('invalid_request', 'grant_type is required');
      case 'authorization_code':
        return this.authorizationCode(p);
      case 'refresh_token':
        return this.refreshToken(p);
      case 'client_credentials':
        return this.clientCredentials(p);
      case 'device_code':
        return this.deviceCode(p);
      default:
        return oauthError('unsupported_grant_type', 'grant_type is not supported');
    }
  }

  codepair(p: Params, verificationUri: string): Reply {
    const missing = firstMissing(p, ['response_type', 'client_id', 'scope']);
    if (missing) return oauthError('invalid_request', `${missing} is required`);
    if (p.get('response_type') !== 'device_code')
      return oauthError('invalid_request', 'response_type must be device_code');
    const client = this.authenticate(p, 'device_code');
    if ('status' in client) return client;
    const scopes = (p.get('scope') ?? '').split(' ').filter(Boolean);
    if (scopes.length === 0 || !scopes.every((s) => this.deviceScopes.has(s))) {
      return oauthError('invalid_scope', 'scope is not allowed for the device flow');
    }
    let userCode: string;
    do userCode = randomString(USER_CODE_ALPHABET, 6);
    while (this.devicesByUserCode.has(userCode));
    const pair: DevicePair = {
      userCode,
      deviceCode: randomUUID(),
      clientId: client.clientId,
      expiresAt: this.now() + DEVICE_TTL_S * 1000,
      state: 'pending',
    };
    this.devicesByUserCode.set(userCode, pair);
    this.devicesByDeviceCode.set(pair.deviceCode, pair);
    return {
      status: 200,
      body: {
        user_code: userCode,
        device_code: pair.deviceCode,
        verification_uri: verificationUri,
        expires_in: DEVICE_TTL_S,
        interval: DEVICE_INTERVAL_S,
      },
    };
  }

  // ---- grants ----

  private authorizationCode(p: Params): Reply {
    const missing = firstMissing(p, ['code', 'client_id', 'redirect_uri']);
    if (missing) return oauthError('invalid_request', `${missing} is required`);
    const client = this.authenticate(p, 'authorization_code');
    if ('status' in client) return client;
    const rec = this.codes.get(p.get('code') ?? '');
    if (!rec || rec.clientId !== client.clientId)
      return oauthError('invalid_grant', 'authorization code is invalid');
    if (rec.used) return oauthError('invalid_grant', 'authorization code has already been used');
    if (this.now() >= rec.expiresAt) return oauthError('invalid_grant', 'authorization code has expired');
    rec.used = true;
    // LWA hands out no refresh token when the client secret is not sent.
    const refresh = p.get('client_secret') ? this.newRefreshToken(rec.sellerId, client.clientId) : undefined;
    return this.tokenReply(refresh, client.clientId);
  }

  private refreshToken(p: Params): Reply {
    const missing = firstMissing(p, ['refresh_token', 'client_id', 'client_secret']);
    if (missing) return oauthError('invalid_request', `${missing} is required`);
    const client = this.authenticate(p, 'refresh_token');
    if ('status' in client) return client;
    const presented = p.get('refresh_token') ?? '';
    const rec = this.refreshTokens.get(presented);
    if (!rec?.active || rec.clientId !== client.clientId) {
      return oauthError('invalid_grant', 'refresh token is invalid, revoked or was rotated');
    }
    let refresh = presented;
    if (this.rotation === 'every-refresh') {
      rec.active = false;
      refresh = this.newRefreshToken(rec.subject, client.clientId);
    }
    return this.tokenReply(refresh, client.clientId);
  }

  private clientCredentials(p: Params): Reply {
    const missing = firstMissing(p, ['scope', 'client_id', 'client_secret']);
    if (missing) return oauthError('invalid_request', `${missing} is required`);
    const client = this.authenticate(p, 'client_credentials');
    if ('status' in client) return client;
    const scope = p.get('scope') ?? '';
    const scopes = scope.split(' ').filter(Boolean);
    if (scopes.length === 0 || !scopes.every((s) => this.grantlessScopes.has(s))) {
      return oauthError('invalid_scope', 'scope is not allowed for client_credentials');
    }
    const reply = this.tokenReply(undefined, client.clientId, scope);
    reply.body.scope = scope;
    return reply;
  }

  private deviceCode(p: Params): Reply {
    const missing = firstMissing(p, ['device_code', 'user_code', 'client_id']);
    if (missing) return oauthError('invalid_request', `${missing} is required`);
    const client = this.authenticate(p, 'device_code');
    if ('status' in client) return client;
    const pair = this.devicesByDeviceCode.get(p.get('device_code') ?? '');
    if (!pair || pair.userCode !== p.get('user_code') || pair.clientId !== client.clientId) {
      return oauthError('invalid_grant', 'device code is invalid');
    }
    const now = this.now();
    if (pair.state === 'consumed') return oauthError('invalid_grant', 'device code has already been used');
    if (now >= pair.expiresAt) return oauthError('expired_token', 'device code has expired');
    if (pair.state === 'denied') return oauthError('access_denied', 'the user denied the request');
    if (pair.state === 'approved') {
      pair.state = 'consumed';
      return this.tokenReply(this.newRefreshToken(pair.userCode, client.clientId), client.clientId);
    }
    const tooSoon = pair.lastPollAt !== undefined && now - pair.lastPollAt < DEVICE_INTERVAL_S * 1000;
    // Every poll restarts the interval, so a client that keeps polling too fast keeps getting slow_down.
    pair.lastPollAt = now;
    return tooSoon
      ? oauthError('slow_down', 'polling faster than the interval')
      : oauthError('authorization_pending', 'the user has not approved yet');
  }

  // ---- helpers ----

  /** The secret is optional here; the grants that need it list it as a required parameter. */
  private authenticate(p: Params, grant: LwaGrantType): LwaClientApp | Reply {
    const client = this.clients.get(p.get('client_id') ?? '');
    const secret = p.get('client_secret');
    if (!client || (secret !== undefined && !this.isClientSecretValid(client.clientId, secret))) {
      return oauthError('invalid_client', 'client authentication failed');
    }
    if (client.allowedGrants && !client.allowedGrants.includes(grant)) {
      return oauthError('unauthorized_client', `client may not use ${grant}`);
    }
    return client;
  }

  /** Which of its client's secrets a request presented, for the request log; never the secret. */
  clientSecretUsed(p: Params): 'current' | 'previous' | 'rejected' | undefined {
    const secret = p.get('client_secret');
    if (secret === undefined) return undefined;
    const clientId = p.get('client_id') ?? '';
    if (!this.isClientSecretValid(clientId, secret)) return 'rejected';
    return secret === this.secrets.get(clientId)?.current ? 'current' : 'previous';
  }

  private isClientSecretValid(clientId: string, secret: string): boolean {
    const secrets = this.secrets.get(clientId);
    if (!secrets) return false;
    const now = this.now();
    if (secret === secrets.current)
      return secrets.currentExpiresAt === undefined || now < secrets.currentExpiresAt;
    return (
      secret === secrets.previous &&
      secrets.previousExpiresAt !== undefined &&
      now < secrets.previousExpiresAt
    );
  }

  private tokenReply(refreshToken: string | undefined, clientId: string, scope?: string): Reply {
    const accessToken = `Atza|${randomBytes(96).toString('base64url')}`;
    this.accessTokens.set(accessToken, {
      expiresAt: this.now() + this.expiresIn * 1000,
      clientId,
      ...(scope ? { scope } : {}),
    });
    const body: Record<string, unknown> = { access_token: accessToken };
    if (refreshToken !== undefined) body.refresh_token = refreshToken;
    body.token_type = 'bearer';
    body.expires_in = this.expiresIn;
    return { status: 200, body };
  }

  private newRefreshToken(subject: string, clientId: string): string {
    const token = `Atzr|${randomBytes(96).toString('base64url')}`;
    this.refreshTokens.set(token, { subject, clientId, active: true });
    this.newestRefresh.set(subject, token);
    return token;
  }

  private pendingDevice(userCode: string): DevicePair {
    const pair = this.devicesByUserCode.get(userCode);
    if (!pair) throw new Error('unknown user code');
    if (pair.state !== 'pending') throw new Error(`user code is already ${pair.state}`);
    return pair;
  }

  private checkRotation(mode: unknown): LwaRotation {
    if (mode !== 'never' && mode !== 'every-refresh')
      throw new Error("rotation must be 'never' or 'every-refresh'");
    return mode;
  }
}
