import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, toEpochSeconds } from '../shared/clock';
import type { CodePairResponse } from '../shared/lwa-client';
import { isRegion, type Region } from '../shared/regions';

export type DeviceAuthorizationStatus = 'pending' | 'authorized' | 'denied' | 'expired';

export interface PendingAuthorization {
  readonly id: string;
  readonly region: Region;
  readonly scope: string;
  readonly status: DeviceAuthorizationStatus;
  readonly userCode: string;
  /** Only while pending; removed once the flow ends so the table keeps no redeemable code. */
  readonly deviceCode?: string;
  readonly interval: number;
  /** Epoch seconds; also the table's TTL attribute. */
  readonly expiresAt: number;
  readonly lastPolledAt: number;
}

/** 128 random bits, base64url: 22 characters. */
export const AUTHORIZATION_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * Device authorizations started through the API, kept in the state table (`pk = device#<id>`)
 * with a TTL, so an abandoned one disappears by itself.
 */
export class PendingAuthorizations {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async create(input: {
    region: Region;
    scope: string;
    codePair: CodePairResponse;
  }): Promise<PendingAuthorization> {
    const now = toEpochSeconds(this.clock());
    const item: PendingAuthorization = {
      id: randomBytes(16).toString('base64url'),
      region: input.region,
      scope: input.scope,
      status: 'pending',
      userCode: input.codePair.userCode,
      deviceCode: input.codePair.deviceCode,
      interval: input.codePair.interval,
      expiresAt: now + input.codePair.expiresIn,
      // The first poll is allowed one interval after the code pair was issued.
      lastPolledAt: now,
    };
    await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: key(item.id), ...item },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return item;
  }

  async get(id: string): Promise<PendingAuthorization | undefined> {
    const output = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key(id) }, ConsistentRead: true }),
    );
    const item = output.Item;
    if (!item || !isRegion(item.region)) return undefined;
    return item as PendingAuthorization;
  }

  /**
   * Claims the right to poll LWA now, atomically: only one caller per interval gets it, so the
   * API never polls LWA faster than LWA asked, however often clients call.
   */
  async claimPoll(id: string, interval: number): Promise<boolean> {
    const now = toEpochSeconds(this.clock());
    try {
      await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key(id) },
          UpdateExpression: 'SET lastPolledAt = :now',
          ConditionExpression: '#status = :pending AND lastPolledAt <= :due',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': now, ':pending': 'pending', ':due': now - interval },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async recordPending(id: string, interval: number): Promise<void> {
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: key(id) },
        UpdateExpression: 'SET #interval = :interval',
        ExpressionAttributeNames: { '#interval': 'interval' },
        ExpressionAttributeValues: { ':interval': interval },
      }),
    );
  }

  /** The flow ended: keep the outcome for the caller to read, drop the device code. */
  async recordEnded(id: string, status: Exclude<DeviceAuthorizationStatus, 'pending'>): Promise<void> {
    await this.documentClient.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: key(id) },
        UpdateExpression: 'SET #status = :status REMOVE deviceCode',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      }),
    );
  }
}

function key(id: string): string {
  return `device#${id}`;
}
