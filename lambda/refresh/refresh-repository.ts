import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Region } from '../shared/regions';
import {
  BY_REGION_INDEX,
  grantlessItemKey,
  type SellerItem,
  SellerStatus,
  TokenKind,
} from '../shared/seller-table';

export interface DueItem {
  readonly sellerId: string;
  readonly region: Region;
  readonly nextRefreshAt: number;
  /**
   * The fence the lease was taken under: the item's `authorizationId` as `acquireLease` returned
   * it (absent when the item had none). Every write after the lease requires it unchanged, so a
   * refresh that began before a re-authorization never changes that authorization's item.
   */
  readonly authorizationId?: string;
  /** As the index page showed them (the index projects every attribute); for the run's gauges. */
  readonly status?: string;
  readonly accessTokenExpiresAt?: number;
}

/**
 * How a write under the lease ended. `superseded`: an authorization happened since the lease was
 * taken (the fence moved); `authorizationId` is the new authorization's, when the item still exists.
 */
export type LeasedWrite =
  | { readonly outcome: 'written' }
  | { readonly outcome: 'lease-lost' }
  | { readonly outcome: 'superseded'; readonly authorizationId?: string };

/** The lease-aware writes of the refresher. Every write after the lease is conditional on holding it. */
export class RefreshRepository {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly pageSize = 100,
  ) {}

  /**
   * Items due in one region, oldest first, page by page from the sparse `byRegion` index
   * (items without `nextRefreshAt` are not in it at all). Never a scan.
   */
  async *dueItems(region: Region, nowSeconds: number): AsyncGenerator<DueItem> {
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documentClient.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_REGION_INDEX,
          KeyConditionExpression: '#region = :region AND nextRefreshAt <= :now',
          ExpressionAttributeNames: { '#region': 'region' },
          ExpressionAttributeValues: { ':region': region, ':now': nowSeconds },
          Limit: this.pageSize,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.sellerId === 'string' && typeof item.nextRefreshAt === 'number') {
          yield {
            sellerId: item.sellerId,
            region,
            nextRefreshAt: item.nextRefreshAt,
            ...(typeof item.status === 'string' ? { status: item.status } : {}),
            ...(typeof item.accessTokenExpiresAt === 'number'
              ? { accessTokenExpiresAt: item.accessTokenExpiresAt }
              : {}),
          };
        }
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
  }

  /**
   * Takes the single-flight lease. It succeeds only if the item is still due and refreshable and
   * no live lease exists, so a duplicate invocation working from a stale index page gets nothing.
   * A PENDING item that is due is an authorization that never finished: it is refreshed from
   * whatever its secret holds, which indexes an orphan secret.
   * `force` (the operator's `lwa-tokens refresh`) drops only the "still due" condition: a live
   * lease always wins.
   */
  async acquireLease(
    key: DueItem,
    owner: string,
    nowSeconds: number,
    leaseSeconds: number,
    options: { force?: boolean } = {},
  ): Promise<SellerItem | undefined> {
    const stillDue = options.force ? '' : 'nextRefreshAt <= :now AND ';
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sellerId: key.sellerId, region: key.region },
          UpdateExpression: 'SET leaseOwner = :owner, leaseExpiresAt = :until',
          ConditionExpression: `attribute_exists(sellerId) AND ${stillDue}#status IN (:active, :degraded, :pending) AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': nowSeconds + leaseSeconds,
            ':now': nowSeconds,
            ':active': SellerStatus.Active,
            ':degraded': SellerStatus.Degraded,
            ':pending': SellerStatus.Pending,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return output.Attributes as SellerItem | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** After a stored refresh (or after finding one already done): back to ACTIVE, next refresh scheduled. */
  recordRefreshed(
    key: DueItem,
    owner: string,
    update: { accessTokenExpiresAt: number; nextRefreshAt: number; nowSeconds: number; refreshed: boolean },
  ): Promise<LeasedWrite> {
    return this.conditionalUpdate(key, owner, {
      set: {
        '#status': SellerStatus.Active,
        accessTokenExpiresAt: update.accessTokenExpiresAt,
        nextRefreshAt: update.nextRefreshAt,
        updatedAt: update.nowSeconds,
        failureCount: 0,
        ...(update.refreshed ? { lastRefreshedAt: update.nowSeconds } : {}),
      },
      remove: ['lastError', 'refreshFailingSince'],
    });
  }

  /** invalid_grant: out of the schedule until the seller authorizes again. */
  recordReauthRequired(
    key: DueItem,
    owner: string,
    nowSeconds: number,
    errorCode: string,
  ): Promise<LeasedWrite> {
    return this.conditionalUpdate(key, owner, {
      set: { '#status': SellerStatus.ReauthRequired, lastError: errorCode, updatedAt: nowSeconds },
      remove: ['nextRefreshAt'],
    });
  }

  /** Transient failure: still scheduled, with a backoff. */
  recordDegraded(
    key: DueItem,
    owner: string,
    update: {
      nowSeconds: number;
      nextRefreshAt: number;
      errorCode: string;
      failureCount: number;
      /** Marks `Token refresh failing` as sent, in the same write as the failure. */
      refreshFailingSince?: number;
    },
  ): Promise<LeasedWrite> {
    return this.conditionalUpdate(key, owner, {
      set: {
        '#status': SellerStatus.Degraded,
        lastError: update.errorCode,
        failureCount: update.failureCount,
        nextRefreshAt: update.nextRefreshAt,
        updatedAt: update.nowSeconds,
        ...(update.refreshFailingSince !== undefined
          ? { refreshFailingSince: update.refreshFailingSince }
          : {}),
      },
      remove: [],
    });
  }

  /**
   * Indexes a configured grantless scope, due at once, unless it is indexed already: the refresher
   * then obtains its first token on this run and keeps it fresh like any seller's.
   * Returns false when the item existed.
   */
  async ensureGrantlessItem(input: {
    region: Region;
    scope: string;
    secretName: string;
    nowSeconds: number;
  }): Promise<boolean> {
    try {
      await this.documentClient.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            sellerId: grantlessItemKey(input.scope),
            region: input.region,
            kind: TokenKind.Grantless,
            scope: input.scope,
            secretName: input.secretName,
            status: SellerStatus.Active,
            nextRefreshAt: input.nowSeconds,
            failureCount: 0,
            authorizedAt: input.nowSeconds,
            updatedAt: input.nowSeconds,
          },
          ConditionExpression: 'attribute_not_exists(sellerId)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Backfills a seller's `authorizationExpiresAt` and/or records the expiry notice about to be
   * sent. Conditioned on the authorization the caller read (a re-authorization in between renews
   * the expiry and clears the notices, so the stale write fails) and on no equal or more urgent
   * notice recorded yet: of two racing writers only one wins, so a notice is never sent twice.
   * Returns false when the condition failed.
   */
  async recordAuthorizationNotice(
    key: Pick<DueItem, 'sellerId' | 'region'>,
    change: {
      authorizationExpiresAt: number;
      /** The item had no `authorizationExpiresAt`; it is derived from this `authorizedAt`. */
      backfillFromAuthorizedAt?: number;
      noticeDays?: number;
      nowSeconds: number;
    },
  ): Promise<boolean> {
    const sets = ['authorizationExpiresAt = :expiresAt', 'updatedAt = :now'];
    const conditions: string[] = [];
    const values: Record<string, unknown> = {
      ':expiresAt': change.authorizationExpiresAt,
      ':now': change.nowSeconds,
    };
    if (change.backfillFromAuthorizedAt !== undefined) {
      conditions.push('attribute_not_exists(authorizationExpiresAt)', 'authorizedAt = :authorizedAt');
      values[':authorizedAt'] = change.backfillFromAuthorizedAt;
    } else {
      conditions.push('authorizationExpiresAt = :expiresAt');
    }
    if (change.noticeDays !== undefined) {
      sets.push('expiryNoticeDays = :days');
      conditions.push('(attribute_not_exists(expiryNoticeDays) OR expiryNoticeDays > :days)');
      values[':days'] = change.noticeDays;
    }
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sellerId: key.sellerId, region: key.region },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * One page of the sellers-by-status census: status, kind and region of up to `limit` items.
   * Only the census reads it, a page per run (see StatusCensus); never a hot path.
   */
  async statusPage(
    startKey: Record<string, unknown> | undefined,
    limit: number,
  ): Promise<{
    items: Array<Pick<SellerItem, 'status' | 'kind' | 'region'>>;
    nextKey?: Record<string, unknown>;
  }> {
    const page = await this.documentClient.send(
      new ScanCommand({
        TableName: this.tableName,
        ProjectionExpression: '#status, #kind, #region',
        ExpressionAttributeNames: { '#status': 'status', '#kind': 'kind', '#region': 'region' },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      items: (page.Items ?? []) as Array<Pick<SellerItem, 'status' | 'kind' | 'region'>>,
      ...(page.LastEvaluatedKey ? { nextKey: page.LastEvaluatedKey } : {}),
    };
  }

  /** Gives the lease back untouched, e.g. when the run stops for an app-level fault. */
  releaseLease(key: DueItem, owner: string): Promise<LeasedWrite> {
    return this.conditionalUpdate(key, owner, { set: {}, remove: [] });
  }

  private async conditionalUpdate(
    key: DueItem,
    owner: string,
    change: { set: Record<string, unknown>; remove: string[] },
  ): Promise<LeasedWrite> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':owner': owner };
    const sets = Object.entries(change.set).map(([attribute, value], i) => {
      if (attribute.startsWith('#')) names[attribute] = attribute.slice(1);
      values[`:v${i}`] = value;
      return `${attribute} = :v${i}`;
    });
    const removes = [...change.remove, 'leaseOwner', 'leaseExpiresAt'];
    // The fence costs no call: it is one more condition on the write the refresh makes anyway.
    let fence = 'attribute_not_exists(authorizationId)';
    if (key.authorizationId !== undefined) {
      fence = 'authorizationId = :fence';
      values[':fence'] = key.authorizationId;
    }
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sellerId: key.sellerId, region: key.region },
          UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(', ')} ` : ''}REMOVE ${removes.join(', ')}`,
          // A worker whose lease was taken over must not overwrite what the new holder wrote, and a
          // refresh that began before an authorization must not change that authorization's item.
          ConditionExpression: `leaseOwner = :owner AND ${fence}`,
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          // Only read when the condition fails, and free: it tells a lost lease from a re-authorization.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { outcome: 'written' };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return failedWrite(key, error);
      throw error;
    }
  }
}

function failedWrite(key: DueItem, error: ConditionalCheckFailedException): LeasedWrite {
  const item = error.Item as Record<string, unknown> | undefined;
  if (!item) return { outcome: 'lease-lost' };
  const current = stringAttribute(item.authorizationId);
  if (current === key.authorizationId) return { outcome: 'lease-lost' };
  return { outcome: 'superseded', ...(current !== undefined ? { authorizationId: current } : {}) };
}

/** The item of a failed condition comes back in the low-level shape (`{ S: … }`), not unmarshalled. */
function stringAttribute(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { S?: unknown }).S === 'string')
    return (value as { S: string }).S;
  return undefined;
}
