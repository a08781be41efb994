import { type DynamoDBClient, GetItemCommand, type GetItemCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isRegion, type Region } from '../shared/region-codes';
import {
  DEFAULT_TOKEN_SECRET_PREFIX,
  deviceSecretName,
  grantlessSecretName,
  isAccountId,
  isScope,
  isSellerId,
  scopeSlug,
  sellerSecretName,
} from '../shared/secret-names';
import { SellerStatus } from '../shared/seller-table';
import { MalformedTokenSecretError, parseTokenSecret, type TokenSecretValue } from '../shared/token-secret';
import {
  errorName,
  InvalidTokenRequestError,
  SellerNotAuthorizedError,
  TokenClientConfigError,
  TokenExpiredError,
  TokenReadError,
} from './errors';
import {
  type ResolvedSecretRegions,
  resolveSecretRegions,
  SECRET_REGIONS_ENV,
  type SecretRegions,
  unmappedRegionError,
} from './secret-regions';

/** Smaller than the refresher's lead (10 minutes), so a healthy refresher never lets a reader see a stale token. */
export const DEFAULT_CACHE_MARGIN_SECONDS = 60;

export const DEFAULT_MAX_CACHE_ENTRIES = 10_000;

/** What the client hands out. The object is frozen and shared by every caller of a cache hit. */
export interface AccessToken {
  readonly accessToken: string;
  readonly expiresAt: Date;
}

export interface SellerTokenRequest {
  /** SP-API selling partner id, e.g. `A2EUQ1WTGCTBG2`. */
  readonly sellerId: string;
  readonly region: Region;
}

export interface GrantlessTokenRequest {
  /** LWA scope, e.g. `sellingpartnerapi::notifications`. */
  readonly scope: string;
  readonly region: Region;
}

export interface DeviceTokenRequest {
  /** The device account id it was approved as, e.g. `living-room-tv`. */
  readonly accountId: string;
  readonly region: Region;
}

export interface SellerTableOptions {
  /** A `DynamoDBClient`. Only `send` is used, with a `GetItemCommand`. */
  readonly client: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
}

export interface TokenClientOptions {
  /**
   * The client for every read. Cannot be combined with `secretRegions` or `TOKEN_SECRET_REGIONS`,
   * which need one client per AWS region.
   * @default one `SecretsManagerClient` per process, created on the first read; with a region map,
   * one per AWS region in it
   */
  readonly secretsManager?: SecretsManagerClient;
  /**
   * For per-region stacks: the AWS region whose Secrets Manager holds each SP-API region's token
   * secrets, e.g. `{ NA: 'us-east-1', EU: 'eu-west-1' }`. A read for a region it leaves out is
   * refused with `TokenClientConfigError`. Wins over the environment variable.
   * @default `process.env.TOKEN_SECRET_REGIONS` (JSON, set by `grantReadTokens(fn)` of each
   * per-region stack), else every read goes to the SDK's default region
   */
  readonly secretRegions?: SecretRegions;
  /**
   * @default `process.env.TOKEN_SECRET_PREFIX`, else `'lwa-tokens'`
   */
  readonly secretPrefix?: string;
  /**
   * Epoch milliseconds.
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * A cached token is served until `expiresAt − marginSeconds`, and never afterwards.
   * @default DEFAULT_CACHE_MARGIN_SECONDS (60)
   */
  readonly marginSeconds?: number;
  /**
   * When given, each secret read for a seller also reads the seller's `status` from the sellers
   * table (in parallel, so no added latency), and a seller marked `REAUTH_REQUIRED` gets
   * `SellerNotAuthorizedError` instead of a token LWA has already revoked. Cache hits never touch
   * the table. The function then needs `dynamodb:GetItem` on the table.
   *
   * A table belongs to one stack, so it is refused when the region map (`secretRegions` or
   * `TOKEN_SECRET_REGIONS`) spans several AWS regions: to check sellers of several per-region stacks,
   * use one `TokenClient` per stack, each with `secretRegions` for its regions and its own table.
   * @default no table lookups
   */
  readonly sellerTable?: SellerTableOptions;
  /**
   * Bounds memory in a Lambda that works through many sellers: past this many sellers in one
   * region, caching another drops the one used least recently (it is read again when next asked for).
   * @default DEFAULT_MAX_CACHE_ENTRIES (10,000 per region, about 7 MB)
   */
  readonly maxEntries?: number;
}

interface CacheEntry {
  /** Resolves to the frozen token; returned as-is on a hit, so a hit allocates nothing. */
  promise: Promise<AccessToken>;
  /** Epoch ms from which the entry must not be served. Infinity while the read is in flight, so callers join it. */
  refreshAt: number;
}

type RegionCache = Record<Region, Map<string, CacheEntry>>;

const SECRET_PREFIX_PATTERN = /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/;

let sharedSecretsManager: SecretsManagerClient | undefined;
/** By AWS region, shared by every client in the process like the default one. */
const regionalSecretsManagers: Record<string, SecretsManagerClient> = {};
let sharedClient: TokenClient | undefined;

/**
 * Reads LWA access tokens from the token secrets, with a per-instance in-memory cache.
 *
 * - A hit is served until `expiresAt − marginSeconds`; after that the next call reads again.
 * - Concurrent misses for one secret share a single `GetSecretValue`.
 * - A failed read is not cached: the entry is dropped and the error rethrown.
 * - A token that is expired or inside the margin is never returned, not even right after a read.
 */
export class TokenClient {
  readonly secretPrefix: string;
  readonly marginSeconds: number;
  private readonly marginMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;
  private readonly sellerTable: SellerTableOptions | undefined;
  private secretsManager: SecretsManagerClient | undefined;
  private readonly secretRegions: ResolvedSecretRegions | undefined;
  // Keyed by region, then by seller id or scope: a hit needs no string building, and within one
  // client (one prefix) each key maps to exactly one secret name.
  private readonly sellers: RegionCache = newRegionCache();
  private readonly grantless: RegionCache = newRegionCache();
  private readonly devices: RegionCache = newRegionCache();

  constructor(options: TokenClientOptions = {}) {
    const prefix =
      options.secretPrefix ?? (process.env.TOKEN_SECRET_PREFIX?.trim() || DEFAULT_TOKEN_SECRET_PREFIX);
    if (!SECRET_PREFIX_PATTERN.test(prefix)) {
      throw new InvalidTokenRequestError(
        'secretPrefix (TOKEN_SECRET_PREFIX)',
        'the token secret prefix the stack uses, e.g. "lwa-tokens"',
        prefix,
      );
    }
    const marginSeconds = options.marginSeconds ?? DEFAULT_CACHE_MARGIN_SECONDS;
    if (!Number.isFinite(marginSeconds) || marginSeconds < 0) {
      throw new InvalidTokenRequestError('marginSeconds', 'a non-negative number of seconds', marginSeconds);
    }
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new InvalidTokenRequestError('maxEntries', 'a positive integer', maxEntries);
    }
    this.maxEntries = maxEntries;
    this.secretPrefix = prefix;
    this.marginSeconds = marginSeconds;
    this.marginMs = marginSeconds * 1000;
    this.clock = options.clock ?? systemClock;
    const secretRegions = resolveSecretRegions(options.secretRegions, process.env[SECRET_REGIONS_ENV]);
    if (secretRegions !== undefined && options.secretsManager !== undefined) {
      throw new TokenClientConfigError(
        'secretsManager',
        `secretsManager cannot be combined with ${secretRegions.setting}, which needs a client per AWS region: drop it.`,
      );
    }
    // One table is one stack's: it cannot answer for sellers whose secrets live in other stacks.
    if (options.sellerTable !== undefined && (secretRegions?.awsRegionCount ?? 0) > 1) {
      throw new TokenClientConfigError(
        'sellerTable',
        `sellerTable is one stack's, but ${secretRegions?.setting} spans several AWS regions: use a TokenClient per stack.`,
      );
    }
    this.sellerTable = options.sellerTable;
    this.secretRegions = secretRegions;
    this.secretsManager = options.secretsManager;
  }

  /** The seller's current access token, from `<prefix>/sellers/<REGION>/<sellerId>`. */
  getAccessToken(request: SellerTokenRequest): Promise<AccessToken> {
    const sellerId = request?.sellerId;
    const region = request?.region;
    if (!isSellerId(sellerId)) {
      return Promise.reject(
        new InvalidTokenRequestError(
          'sellerId',
          'an SP-API selling partner id such as A2EUQ1WTGCTBG2',
          sellerId,
        ),
      );
    }
    if (!isRegion(region)) return Promise.reject(invalidRegion(region));
    return this.cachedOrLoad(this.sellers[region], sellerId, () => this.readSellerToken(sellerId, region));
  }

  /** The current grantless token for a scope, from `<prefix>/grantless/<REGION>/<scope slug>`. */
  getGrantlessToken(request: GrantlessTokenRequest): Promise<AccessToken> {
    const scope = request?.scope;
    const region = request?.region;
    if (!isScope(scope)) {
      return Promise.reject(
        new InvalidTokenRequestError('scope', 'an LWA scope such as sellingpartnerapi::notifications', scope),
      );
    }
    if (!isRegion(region)) return Promise.reject(invalidRegion(region));
    return this.cachedOrLoad(this.grantless[region], scope, () => this.readGrantlessToken(scope, region));
  }

  /** A device-flow account's current token, from `<prefix>/devices/<REGION>/<account id>`. */
  getDeviceToken(request: DeviceTokenRequest): Promise<AccessToken> {
    const accountId = request?.accountId;
    const region = request?.region;
    if (!isAccountId(accountId)) {
      return Promise.reject(
        new InvalidTokenRequestError(
          'accountId',
          'a device account id of letters, digits, _ . - (1-64)',
          accountId,
        ),
      );
    }
    if (!isRegion(region)) return Promise.reject(invalidRegion(region));
    return this.cachedOrLoad(this.devices[region], accountId, () => this.readDeviceToken(accountId, region));
  }

  /**
   * Drops the cached token, e.g. after SP-API answered 401/403 with it; the next call reads the
   * secret again. Returns whether there was an entry. Invalid input is ignored, so this is safe to
   * call from an error path.
   */
  invalidate(request: SellerTokenRequest): boolean {
    return isRegion(request?.region) && this.sellers[request.region].delete(request.sellerId);
  }

  invalidateGrantless(request: GrantlessTokenRequest): boolean {
    return isRegion(request?.region) && this.grantless[request.region].delete(request.scope);
  }

  invalidateDevice(request: DeviceTokenRequest): boolean {
    return isRegion(request?.region) && this.devices[request.region].delete(request.accountId);
  }

  /** Drops every cached token. */
  clear(): void {
    for (const cache of [this.sellers, this.grantless, this.devices]) {
      for (const region of Object.keys(cache) as Region[]) cache[region].clear();
    }
  }

  /** A live entry is served (and marked most recently used); anything else is read again. */
  private cachedOrLoad(
    cache: Map<string, CacheEntry>,
    key: string,
    read: () => Promise<AccessToken>,
  ): Promise<AccessToken> {
    const entry = cache.get(key);
    if (entry !== undefined && this.clock() < entry.refreshAt) return markUsed(cache, key, entry);
    return this.load(cache, key, read);
  }

  private load(
    cache: Map<string, CacheEntry>,
    key: string,
    read: () => Promise<AccessToken>,
  ): Promise<AccessToken> {
    const entry: CacheEntry = { promise: read(), refreshAt: Number.POSITIVE_INFINITY };
    entry.promise = entry.promise.then(
      (token) => {
        entry.refreshAt = token.expiresAt.getTime() - this.marginMs;
        return token;
      },
      (error: unknown) => {
        // Only our own entry: invalidate() may already have replaced it with a newer read.
        if (cache.get(key) === entry) cache.delete(key);
        throw error;
      },
    );
    // Deleted first so a reload moves to the back of the Map's insertion order, like a hit does.
    if (!cache.delete(key) && cache.size >= this.maxEntries) {
      // Every hit re-inserts its key (markUsed), so the first key is the least recently used.
      const leastRecentlyUsed = cache.keys().next();
      if (!leastRecentlyUsed.done) cache.delete(leastRecentlyUsed.value);
    }
    cache.set(key, entry);
    return entry.promise;
  }

  private async readSellerToken(sellerId: string, region: Region): Promise<AccessToken> {
    const secretName = sellerSecretName(this.secretPrefix, region, sellerId);
    // Before any AWS call, so a region this client cannot serve fails alone and clearly.
    const secretsManager = this.secretsManagerFor(region);
    const [secret, status] = await Promise.allSettled([
      readSecret(secretsManager, secretName),
      this.readSellerStatus(sellerId, region, secretName),
    ]);
    // The table's verdict wins: a revoked seller may still have an unexpired, useless token.
    if (status.status === 'fulfilled' && status.value === SellerStatus.ReauthRequired) {
      throw new SellerNotAuthorizedError({ sellerId, region, secretName, reason: 'REAUTH_REQUIRED' });
    }
    if (secret.status === 'rejected') {
      if (errorName(secret.reason) === 'ResourceNotFoundException') {
        throw new SellerNotAuthorizedError({
          sellerId,
          region,
          secretName,
          reason: 'NOT_AUTHORIZED',
          cause: secret.reason,
        });
      }
      throw secretReadError(secretName, secret.reason);
    }
    if (status.status === 'rejected') throw status.reason;

    const value = parse(secretName, secret.value);
    if (value.region !== region || (value.sellerId !== undefined && value.sellerId !== sellerId)) {
      throw malformed(secretName, 'it holds the token of another seller or region');
    }
    return this.freshToken(secretName, value, {
      refreshable: value.refreshToken !== undefined && status.value !== SellerStatus.AccessOnly,
      seller: { sellerId, region },
      status: status.value,
    });
  }

  private async readGrantlessToken(scope: string, region: Region): Promise<AccessToken> {
    const secretName = grantlessSecretName(this.secretPrefix, region, scope);
    const secretsManager = this.secretsManagerFor(region);
    let secretString: string | undefined;
    try {
      secretString = await readSecret(secretsManager, secretName);
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        throw new TokenReadError(
          `There is no grantless token secret ${secretName} for scope ${scope} in region ${region}: add the scope to the stack's grantless scopes so the refresher creates it.`,
          { secretName, cause: error },
        );
      }
      throw secretReadError(secretName, error);
    }
    const value = parse(secretName, secretString);
    if (
      value.region !== region ||
      (value.scope !== undefined && scopeSlug(value.scope) !== scopeSlug(scope))
    ) {
      throw malformed(secretName, 'it holds the token of another scope or region');
    }
    // Grantless tokens have no refresh token by design: the refresher mints new ones.
    return this.freshToken(secretName, value, { refreshable: true });
  }

  private async readDeviceToken(accountId: string, region: Region): Promise<AccessToken> {
    const secretName = deviceSecretName(this.secretPrefix, region, accountId);
    const secretsManager = this.secretsManagerFor(region);
    let secretString: string | undefined;
    try {
      secretString = await readSecret(secretsManager, secretName);
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        throw new TokenReadError(
          `There is no device token secret ${secretName} for account ${accountId} in region ${region}: approve the account first with npx lwa-tokens device-login or the device authorization API.`,
          { secretName, cause: error },
        );
      }
      throw secretReadError(secretName, error);
    }
    const value = parse(secretName, secretString);
    if (value.region !== region || (value.accountId !== undefined && value.accountId !== accountId)) {
      throw malformed(secretName, 'it holds the token of another account or region');
    }
    return this.freshToken(secretName, value, { refreshable: value.refreshToken !== undefined });
  }

  private freshToken(
    secretName: string,
    value: TokenSecretValue,
    context: { refreshable: boolean; seller?: SellerTokenRequest; status?: string | undefined },
  ): AccessToken {
    const expiresAt = new Date(value.accessTokenExpiresAt);
    if (this.clock() >= expiresAt.getTime() - this.marginMs) {
      throw new TokenExpiredError({
        secretName,
        expiresAt,
        marginSeconds: this.marginSeconds,
        refreshable: context.refreshable,
        ...(context.seller ? { seller: context.seller } : {}),
        ...(context.status !== undefined ? { status: context.status } : {}),
      });
    }
    return Object.freeze({ accessToken: value.accessToken, expiresAt });
  }

  /** Only on a miss: a cache hit never gets here, so the map costs hits nothing. */
  private secretsManagerFor(region: Region): SecretsManagerClient {
    const secretRegions = this.secretRegions;
    if (secretRegions === undefined) {
      this.secretsManager ??= sharedSecretsManager ??= new SecretsManagerClient({});
      return this.secretsManager;
    }
    const awsRegion = secretRegions.map[region];
    if (awsRegion === undefined) throw unmappedRegionError(secretRegions, region);
    regionalSecretsManagers[awsRegion] ??= new SecretsManagerClient({ region: awsRegion });
    return regionalSecretsManagers[awsRegion];
  }

  private async readSellerStatus(
    sellerId: string,
    region: Region,
    secretName: string,
  ): Promise<string | undefined> {
    const table = this.sellerTable;
    if (table === undefined) return undefined;
    try {
      const output: GetItemCommandOutput = await table.client.send(
        new GetItemCommand({
          TableName: table.tableName,
          Key: { sellerId: { S: sellerId }, region: { S: region } },
          ProjectionExpression: '#status',
          // STATUS is a DynamoDB reserved word.
          ExpressionAttributeNames: { '#status': 'status' },
        }),
      );
      return output.Item?.status?.S;
    } catch (error) {
      const name = errorName(error);
      // Only a denial is about permissions; naming GetItem for anything else sends people the wrong way.
      const hint =
        name === 'AccessDeniedException'
          ? 'grant the function dynamodb:GetItem on the sellers table, or drop the sellerTable option'
          : name === 'ResourceNotFoundException'
            ? "check that sellerTable.tableName names the stack's sellers table in this account and AWS region"
            : 'the SDK has already retried; retry later, and if it persists check DynamoDB health and the table';
      throw new TokenReadError(
        `Reading the status of seller ${sellerId} in region ${region} from table ${table.tableName} failed (${name}): ${hint}.`,
        { secretName, cause: error },
      );
    }
  }
}

/** The process-wide client the convenience functions and the middleware use by default. */
export function defaultTokenClient(): TokenClient {
  sharedClient ??= new TokenClient();
  return sharedClient;
}

// Looked up on each call rather than captured, so jest's fake timers drive the default clock too.
const systemClock = (): number => Date.now();

/**
 * A Map iterates in insertion order; re-inserting a key on every hit keeps that order by last use,
 * so eviction can take the first key. Both operations are O(1) and allocate nothing.
 */
function markUsed(cache: Map<string, CacheEntry>, key: string, entry: CacheEntry): Promise<AccessToken> {
  cache.delete(key);
  cache.set(key, entry);
  return entry.promise;
}

async function readSecret(
  secretsManager: SecretsManagerClient,
  secretName: string,
): Promise<string | undefined> {
  const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretName }));
  return output.SecretString;
}

function newRegionCache(): RegionCache {
  return { NA: new Map(), EU: new Map(), FE: new Map() };
}

function invalidRegion(region: unknown): InvalidTokenRequestError {
  return new InvalidTokenRequestError('region', 'one of NA, EU, FE', region);
}

function parse(secretName: string, secretString: string | undefined): TokenSecretValue {
  try {
    return parseTokenSecret(secretName, secretString);
  } catch (error) {
    throw new TokenReadError(error instanceof Error ? error.message : String(error), {
      secretName,
      cause: error,
    });
  }
}

function malformed(secretName: string, problem: string): TokenReadError {
  const cause = new MalformedTokenSecretError(secretName, problem);
  return new TokenReadError(cause.message, { secretName, cause });
}

function secretReadError(secretName: string, error: unknown): TokenReadError {
  const name = errorName(error);
  const hint =
    name === 'AccessDeniedException'
      ? 'grant this function read access to the token secrets with grantReadTokens(fn), which also grants kms:Decrypt on the token key'
      : name === 'DecryptionFailure'
        ? "the function needs kms:Decrypt on the stack's token key; grantReadTokens(fn) grants it"
        : 'the SDK has already retried; retry later, and if it persists check Secrets Manager quotas and health';
  return new TokenReadError(`Reading token secret ${secretName} failed (${name}): ${hint}.`, {
    secretName,
    cause: error,
  });
}
