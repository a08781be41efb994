import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Region } from './regions';
import { AUTHORIZATION_LIFETIME_SECONDS, SellerStatus, TokenKind } from './seller-table';

export interface AuthorizationStart {
  readonly sellerId: string;
  readonly region: Region;
  readonly kind: TokenKind;
  readonly secretName: string;
  /** The new fence; also the version id of the secret this authorization writes. */
  readonly authorizationId: string;
  /** When the refresher looks at the item if the authorization never finishes (epoch seconds). */
  readonly pickUpAt: number;
  readonly nowSeconds: number;
}

/** What the item held before an authorization began. */
export interface AuthorizationStarted {
  /** `authorizedAt` of the item as it was before: absent on a first authorization. */
  readonly previousAuthorizedAt?: number;
}

/** What the item said, before `beginAuthorization`, about the token secret it indexes. */
export interface StoredTokensBefore {
  /**
   * The item was ACTIVE or DEGRADED: its secret holds a refresh token the refresher is using. The
   * authorization functions cannot read token secrets, so this is how they know one is there.
   */
  readonly workingRefreshToken: boolean;
  /** `accessTokenExpiresAt` of the item before, when it had one. */
  readonly accessTokenExpiresAt?: number;
}

export interface AuthorizationRecord {
  readonly sellerId: string;
  readonly region: Region;
  readonly kind: TokenKind;
  readonly secretName: string;
  /** The fence `beginAuthorization` set; the record is written only while it is still the item's. */
  readonly authorizationId: string;
  readonly status: typeof SellerStatus.Active | typeof SellerStatus.AccessOnly;
  readonly accessTokenExpiresAt: number;
  /** Absent for ACCESS_ONLY: there is nothing to refresh with. */
  readonly nextRefreshAt?: number;
  readonly nowSeconds: number;
}

/** What the authorization's final write did. */
export interface RecordedAuthorization {
  /** False, with nothing written, when a later authorization of the same seller has begun since. */
  readonly recorded: boolean;
  /** Set for sellers only: `authorizedAt` + 365 days. */
  readonly authorizationExpiresAt?: number;
}

/** Writes to the sellers table. Every write is a single UpdateItem so no reader sees half an item. */
export class SellerRepository {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Step one of storing an authorization, before its secret is written: the item takes the new
   * fence and the PENDING status, any refresh lease is cleared (so an in-flight refresh of the old
   * token can no longer change the item), and the item is due at `pickUpAt`, so an authorization
   * whose callback dies before `recordAuthorization` is found and indexed by the refresher.
   * The item as it was tells a first authorization from a re-authorization: this write never
   * touches `authorizedAt`, so even a retry after a lost answer reads the one from before.
   */
  async beginAuthorization(
    start: AuthorizationStart,
  ): Promise<AuthorizationStarted & { readonly storedBefore: StoredTokensBefore }> {
    const output = await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { sellerId: start.sellerId, region: start.region },
        UpdateExpression:
          'SET #kind = :kind, #status = :pending, secretName = :secretName, authorizationId = :authorizationId, nextRefreshAt = :pickUpAt, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt',
        ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
        ExpressionAttributeValues: {
          ':kind': start.kind,
          ':pending': SellerStatus.Pending,
          ':secretName': start.secretName,
          ':authorizationId': start.authorizationId,
          ':pickUpAt': start.pickUpAt,
          ':now': start.nowSeconds,
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = output?.Attributes ?? {};
    const storedBefore: StoredTokensBefore = {
      workingRefreshToken: before.status === SellerStatus.Active || before.status === SellerStatus.Degraded,
      ...(typeof before.accessTokenExpiresAt === 'number'
        ? { accessTokenExpiresAt: before.accessTokenExpiresAt }
        : {}),
    };
    return typeof before.authorizedAt === 'number'
      ? { previousAuthorizedAt: before.authorizedAt, storedBefore }
      : { storedBefore };
  }

  /**
   * Step three, after the secret: the item returns to service with a new 365-day authorization
   * (its expiry notices and refresh-failing mark reset). Writes nothing when a later
   * authorization of the same seller has begun since; the item is then its to write.
   */
  async recordAuthorization(record: AuthorizationRecord): Promise<RecordedAuthorization> {
    const set = [
      '#kind = :kind',
      '#status = :status',
      'secretName = :secretName',
      'accessTokenExpiresAt = :expiresAt',
      'authorizedAt = :now',
      'lastRefreshedAt = :now',
      'updatedAt = :now',
      'failureCount = :zero',
    ];
    const remove = ['lastError', 'refreshFailingSince', 'expiryNoticeDays'];
    const values: Record<string, unknown> = {
      ':kind': record.kind,
      ':status': record.status,
      ':secretName': record.secretName,
      ':expiresAt': record.accessTokenExpiresAt,
      ':now': record.nowSeconds,
      ':zero': 0,
      ':authorizationId': record.authorizationId,
    };
    // Grantless and device tokens carry no seller consent, so they have no yearly expiry.
    const authorizationExpiresAt =
      record.kind === TokenKind.Seller ? record.nowSeconds + AUTHORIZATION_LIFETIME_SECONDS : undefined;
    if (authorizationExpiresAt !== undefined) {
      set.push('authorizationExpiresAt = :authorizationExpiresAt');
      values[':authorizationExpiresAt'] = authorizationExpiresAt;
    }
    if (record.nextRefreshAt === undefined) {
      remove.push('nextRefreshAt');
    } else {
      set.push('nextRefreshAt = :next');
      values[':next'] = record.nextRefreshAt;
    }
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sellerId: record.sellerId, region: record.region },
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          ConditionExpression: 'authorizationId = :authorizationId',
          ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return { recorded: true, ...(authorizationExpiresAt !== undefined ? { authorizationExpiresAt } : {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { recorded: false };
      throw error;
    }
  }
}
