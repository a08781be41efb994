import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Region } from './regions';
import { AUTHORIZATION_LIFETIME_SECONDS, type SellerStatus, TokenKind } from './seller-table';

export interface AuthorizationRecord {
  readonly sellerId: string;
  readonly region: Region;
  readonly kind: TokenKind;
  readonly secretName: string;
  readonly status: typeof SellerStatus.Active | typeof SellerStatus.AccessOnly;
  readonly accessTokenExpiresAt: number;
  /** Absent for ACCESS_ONLY: there is nothing to refresh with. */
  readonly nextRefreshAt?: number;
  readonly nowSeconds: number;
}

/** What the authorization write found and set. */
export interface RecordedAuthorization {
  /** `authorizedAt` of the item as it was before: absent on a first authorization. */
  readonly previousAuthorizedAt?: number;
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
   * Upserts the item after a successful authorization; a re-authorized seller returns to service
   * with a new 365-day authorization (and its expiry notices and refresh-failing mark reset).
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
    const output = await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { sellerId: record.sellerId, region: record.region },
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
        ExpressionAttributeValues: values,
        // The old authorizedAt tells a first authorization from a re-authorization, atomically.
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const previous = output?.Attributes?.authorizedAt;
    return {
      ...(typeof previous === 'number' ? { previousAuthorizedAt: previous } : {}),
      ...(authorizationExpiresAt !== undefined ? { authorizationExpiresAt } : {}),
    };
  }
}
