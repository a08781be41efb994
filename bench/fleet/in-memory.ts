/**
 * In-memory stand-ins for what the refresher talks to: the sellers table with its `byRegion`
 * index (RefreshRepository), the token secrets (TokenStore), LWA (LwaClient) and the app
 * credentials. They implement the same conditions as the real classes (the lease condition, the
 * `leaseOwner = :owner` guard, `nextRefreshAt <= :now` paged oldest first) and spend simulated
 * time per call, so `runRefresh` runs unchanged on top of them.
 */
import type { DueItem, LeasedWrite, RefreshRepository } from '../../lambda/refresh/refresh-repository';
import type { AppCredentials, AppCredentialsProvider } from '../../lambda/shared/app-credentials';
import type { LwaClient, LwaTokenResponse } from '../../lambda/shared/lwa-client';
import type { Region } from '../../lambda/shared/regions';
import { type SellerItem, SellerStatus } from '../../lambda/shared/seller-table';
import type { TokenSecretValue } from '../../lambda/shared/token-secret';
import type { TokenStore, WriteTokenSecretInput, WriteUntilDeadline } from '../../lambda/shared/token-store';

/**
 * The public surface of a class. The real classes have private fields, so a fake can only be
 * checked against their public members; `runRefresh` uses nothing else.
 */
export type PublicOf<T> = { [K in keyof T]: T[K] };

export interface Latencies {
  /** One DynamoDB or Secrets Manager call. */
  readonly awsMs: number;
  /** One LWA token request. */
  readonly lwaMs: number;
}

type Sleep = (ms: number) => Promise<void>;

interface MutableItem {
  sellerId: string;
  region: Region;
  status: SellerItem['status'];
  secretName: string;
  accessTokenExpiresAt?: number;
  nextRefreshAt?: number;
  lastRefreshedAt?: number;
  failureCount?: number;
  lastError?: string;
  authorizedAt?: number;
  authorizationExpiresAt?: number;
  expiryNoticeDays?: number;
  updatedAt?: number;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  /** Bumped whenever nextRefreshAt changes; index entries of an older version are stale. */
  indexVersion: number;
}

interface IndexEntry {
  readonly item: MutableItem;
  readonly version: number;
}

/**
 * The sellers table and its sparse `byRegion` index. The index is one bucket per second of
 * `nextRefreshAt` per region; a changed item gets a new entry and its old one goes stale (dropped
 * when a query passes over it), which keeps a query's cost proportional to what it returns.
 */
export class MemorySellerTable implements PublicOf<RefreshRepository> {
  readonly items = new Map<string, MutableItem>();
  queryPages = 0;
  private readonly slots: Record<Region, Array<IndexEntry[] | undefined>> = { NA: [], EU: [], FE: [] };
  private readonly lowWater: Record<Region, number> = { NA: 0, EU: 0, FE: 0 };

  constructor(
    /** Epoch seconds of slot 0; earlier `nextRefreshAt` values share slot 0. */
    private readonly baseSeconds: number,
    private readonly sleep: Sleep,
    private readonly latencies: Latencies,
    private readonly pageSize = 100,
  ) {}

  put(item: Omit<MutableItem, 'indexVersion'>): void {
    const stored: MutableItem = { ...item, indexVersion: 0 };
    this.items.set(key(item.sellerId, item.region), stored);
    this.index(stored);
  }

  async *dueItems(region: Region, nowSeconds: number): AsyncGenerator<DueItem> {
    const slots = this.slots[region];
    const last = Math.min(this.slotOf(nowSeconds), slots.length - 1);
    this.queryPages++;
    await this.sleep(this.latencies.awsMs);
    let inPage = 0;
    for (let s = this.lowWater[region]; s <= last; s++) {
      const bucket = slots[s];
      const live = bucket?.filter((entry) => entry.version === entry.item.indexVersion) ?? [];
      slots[s] = live.length > 0 ? live : undefined;
      if (live.length === 0 && s === this.lowWater[region]) this.lowWater[region] = s + 1;
      for (const { item, version } of live) {
        // The page was read before this seller was touched by an earlier page's refresh.
        if (version !== item.indexVersion || item.nextRefreshAt === undefined) continue;
        if (inPage === this.pageSize) {
          inPage = 0;
          this.queryPages++;
          await this.sleep(this.latencies.awsMs);
        }
        inPage++;
        yield {
          sellerId: item.sellerId,
          region,
          nextRefreshAt: item.nextRefreshAt,
          status: item.status,
          accessTokenExpiresAt: item.accessTokenExpiresAt,
        };
      }
    }
  }

  async acquireLease(
    due: DueItem,
    owner: string,
    nowSeconds: number,
    leaseSeconds: number,
  ): Promise<SellerItem | undefined> {
    await this.sleep(this.latencies.awsMs);
    const item = this.items.get(key(due.sellerId, due.region));
    if (
      !item ||
      item.nextRefreshAt === undefined ||
      item.nextRefreshAt > nowSeconds ||
      (item.status !== SellerStatus.Active &&
        item.status !== SellerStatus.Degraded &&
        item.status !== SellerStatus.Pending) ||
      (item.leaseExpiresAt !== undefined && item.leaseExpiresAt >= nowSeconds)
    ) {
      return undefined;
    }
    item.leaseOwner = owner;
    item.leaseExpiresAt = nowSeconds + leaseSeconds;
    const { indexVersion: _, ...attributes } = item;
    return attributes;
  }

  recordRefreshed(
    due: DueItem,
    owner: string,
    update: { accessTokenExpiresAt: number; nextRefreshAt: number; nowSeconds: number; refreshed: boolean },
  ): Promise<LeasedWrite> {
    return this.conditionalUpdate(due, owner, (item) => {
      item.status = SellerStatus.Active;
      item.accessTokenExpiresAt = update.accessTokenExpiresAt;
      this.reschedule(item, update.nextRefreshAt);
      item.updatedAt = update.nowSeconds;
      item.failureCount = 0;
      if (update.refreshed) item.lastRefreshedAt = update.nowSeconds;
      delete item.lastError;
    });
  }

  recordReauthRequired(
    due: DueItem,
    owner: string,
    nowSeconds: number,
    errorCode: string,
  ): Promise<LeasedWrite> {
    return this.conditionalUpdate(due, owner, (item) => {
      item.status = SellerStatus.ReauthRequired;
      item.lastError = errorCode;
      item.updatedAt = nowSeconds;
      this.reschedule(item, undefined);
    });
  }

  recordDegraded(
    due: DueItem,
    owner: string,
    update: { nowSeconds: number; nextRefreshAt: number; errorCode: string; failureCount: number },
  ): Promise<LeasedWrite> {
    return this.conditionalUpdate(due, owner, (item) => {
      item.status = SellerStatus.Degraded;
      item.lastError = update.errorCode;
      item.failureCount = update.failureCount;
      this.reschedule(item, update.nextRefreshAt);
      item.updatedAt = update.nowSeconds;
    });
  }

  /** Grantless scopes are indexed like sellers; the simulated fleet configures none. */
  async ensureGrantlessItem(input: {
    region: Region;
    scope: string;
    secretName: string;
    nowSeconds: number;
  }): Promise<boolean> {
    await this.sleep(this.latencies.awsMs);
    const sellerId = `grantless#${input.scope}`;
    if (this.items.has(key(sellerId, input.region))) return false;
    this.put({
      sellerId,
      region: input.region,
      status: SellerStatus.Active,
      secretName: input.secretName,
      nextRefreshAt: input.nowSeconds,
      failureCount: 0,
    });
    return true;
  }

  /** Same conditions as the DynamoDB repository's; the simulated fleet has no authorizedAt, so it is rarely called. */
  async recordAuthorizationNotice(
    due: Pick<DueItem, 'sellerId' | 'region'>,
    change: {
      authorizationExpiresAt: number;
      backfillFromAuthorizedAt?: number;
      noticeDays?: number;
      nowSeconds: number;
    },
  ): Promise<boolean> {
    await this.sleep(this.latencies.awsMs);
    const item = this.items.get(key(due.sellerId, due.region));
    if (!item) return false;
    const authorization =
      change.backfillFromAuthorizedAt !== undefined
        ? item.authorizationExpiresAt === undefined && item.authorizedAt === change.backfillFromAuthorizedAt
        : item.authorizationExpiresAt === change.authorizationExpiresAt;
    const notice =
      change.noticeDays === undefined ||
      item.expiryNoticeDays === undefined ||
      item.expiryNoticeDays > change.noticeDays;
    if (!authorization || !notice) return false;
    item.authorizationExpiresAt = change.authorizationExpiresAt;
    if (change.noticeDays !== undefined) item.expiryNoticeDays = change.noticeDays;
    item.updatedAt = change.nowSeconds;
    return true;
  }

  /** The whole simulated table in one census page. */
  async statusPage(): Promise<{ items: Array<Pick<SellerItem, 'status' | 'region'>> }> {
    await this.sleep(this.latencies.awsMs);
    return { items: [...this.items.values()].map(({ status, region }) => ({ status, region })) };
  }

  releaseLease(due: DueItem, owner: string): Promise<LeasedWrite> {
    return this.conditionalUpdate(due, owner, () => {});
  }

  private async conditionalUpdate(
    due: DueItem,
    owner: string,
    change: (item: MutableItem) => void,
  ): Promise<LeasedWrite> {
    await this.sleep(this.latencies.awsMs);
    const item = this.items.get(key(due.sellerId, due.region));
    // The simulated fleet never re-authorizes, so the fence never moves here.
    if (!item || item.leaseOwner !== owner) return { outcome: 'lease-lost' };
    change(item);
    delete item.leaseOwner;
    delete item.leaseExpiresAt;
    return { outcome: 'written' };
  }

  private reschedule(item: MutableItem, nextRefreshAt: number | undefined): void {
    if (item.nextRefreshAt === nextRefreshAt) return;
    item.nextRefreshAt = nextRefreshAt;
    item.indexVersion++;
    this.index(item);
  }

  private index(item: MutableItem): void {
    if (item.nextRefreshAt === undefined) return;
    const slots = this.slots[item.region];
    const s = this.slotOf(item.nextRefreshAt);
    const entry = { item, version: item.indexVersion };
    const bucket = slots[s];
    if (bucket) bucket.push(entry);
    else slots[s] = [entry];
    if (s < this.lowWater[item.region]) this.lowWater[item.region] = s;
  }

  private slotOf(epochSeconds: number): number {
    return Math.max(0, epochSeconds - this.baseSeconds);
  }
}

export interface WriteObservation {
  readonly secretName: string;
  /** Simulated epoch ms the write reached Secrets Manager. */
  readonly atMs: number;
  /** How long before the replaced token's expiry the new one was stored; negative if after. */
  readonly leadMs: number;
}

/** Token secrets by name. Every write is reported to `onWrite` with its time and lead. */
export class MemoryTokenSecrets implements PublicOf<TokenStore> {
  private readonly secrets = new Map<string, { value: TokenSecretValue; expiresAtMs: number }>();

  constructor(
    private readonly clock: () => number,
    private readonly sleep: Sleep,
    private readonly latencies: Latencies,
    private readonly onWrite: (write: WriteObservation) => void,
  ) {}

  put(secretName: string, value: TokenSecretValue): void {
    this.secrets.set(secretName, { value, expiresAtMs: Date.parse(value.accessTokenExpiresAt) });
  }

  expiries(): IterableIterator<{ expiresAtMs: number }> {
    return this.secrets.values();
  }

  async read(secretName: string): Promise<TokenSecretValue | undefined> {
    await this.sleep(this.latencies.awsMs);
    return this.secrets.get(secretName)?.value;
  }

  async write(input: WriteTokenSecretInput, until?: WriteUntilDeadline): Promise<{ attempts: number }> {
    // The refresher paces its writes through this hook; the one attempt here must wait its turn too.
    await until?.beforeAttempt?.();
    const atMs = this.clock();
    const previous = this.secrets.get(input.secretName);
    this.onWrite({
      secretName: input.secretName,
      atMs,
      leadMs: previous ? previous.expiresAtMs - atMs : Number.POSITIVE_INFINITY,
    });
    await this.sleep(this.latencies.awsMs);
    this.put(input.secretName, input.value);
    return { attempts: 1 };
  }

  /** The simulated fleet never re-authorizes, so no refresh is ever overtaken by one. */
  async restoreOverwrittenAuthorization(): Promise<boolean> {
    return false;
  }
}

/** LWA that always answers with a new one-hour access token and keeps the refresh token. */
export class MemoryLwa implements Pick<LwaClient, 'refreshAccessToken'> {
  private issued = 0;

  constructor(
    private readonly sleep: Sleep,
    private readonly latencies: Latencies,
    private readonly expiresInSeconds = 3600,
    /** Told of every call as it starts, e.g. to find the peak call rate. */
    private readonly onCall: () => void = () => {},
  ) {}

  async refreshAccessToken(
    _baseUrl: string,
    input: { clientId: string; clientSecret?: string; refreshToken: string },
  ): Promise<LwaTokenResponse> {
    this.onCall();
    await this.sleep(this.latencies.lwaMs);
    return {
      accessToken: `Atza|sim-${++this.issued}`,
      refreshToken: input.refreshToken,
      tokenType: 'bearer',
      expiresIn: this.expiresInSeconds,
    };
  }
}

export class StaticAppCredentials implements PublicOf<AppCredentialsProvider> {
  constructor(private readonly credentials: AppCredentials) {}
  async get(): Promise<AppCredentials> {
    return this.credentials;
  }
  invalidate(): void {}
}

function key(sellerId: string, region: Region): string {
  return `${region}#${sellerId}`;
}
