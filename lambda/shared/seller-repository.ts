import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Region } from './regions';
import type { SellerStatus, TokenKind } from './seller-table';

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

/** Writes to the sellers table. Every write is a single UpdateItem so no reader sees half an item. */
export class SellerRepository {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Upserts the item after a successful authorization; a re-authorized seller returns to service. */
  async recordAuthorization(record: AuthorizationRecord): Promise<void> {
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
    const remove = ['lastError'];
    const values: Record<string, unknown> = {
      ':kind': record.kind,
      ':status': record.status,
      ':secretName': record.secretName,
      ':expiresAt': record.accessTokenExpiresAt,
      ':now': record.nowSeconds,
      ':zero': 0,
    };
    if (record.nextRefreshAt === undefined) {
      remove.push('nextRefreshAt');
    } else {
      set.push('nextRefreshAt = :next');
      values[':next'] = record.nextRefreshAt;
    }
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { sellerId: record.sellerId, region: record.region },
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
  }
}
