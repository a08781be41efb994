import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, toEpochSeconds } from '../shared/clock';
import { isRegion, type Region } from '../shared/regions';

/** 10 minutes, the longest the contract allows. */
export const STATE_TTL_SECONDS = 600;

/** 32 bytes from the CSPRNG: 256 bits, base64url, always 43 characters. */
export const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface AuthorizationState {
  readonly region: Region;
  /** Set when the flow started from Seller Central's /login, which already named the seller. */
  readonly sellerId?: string;
}

export type ConsumeResult =
  | { readonly ok: true; readonly state: AuthorizationState }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' };

/**
 * Single-use OAuth `state` values, kept in a DynamoDB table with a TTL. Only a hash of the state
 * is stored, so the table never holds a value that could be replayed.
 */
export class StateStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async create(binding: AuthorizationState): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    const now = toEpochSeconds(this.clock());
    await this.documentClient.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: stateKey(state),
          region: binding.region,
          ...(binding.sellerId ? { sellerId: binding.sellerId } : {}),
          createdAt: now,
          expiresAt: now + STATE_TTL_SECONDS,
        },
        // 256 random bits never collide; the condition only guards against a bug reusing a value.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return state;
  }

  /**
   * Deletes the state and returns what it was bound to, in one conditional write, so two
   * concurrent callbacks with the same state cannot both succeed.
   */
  async consume(state: string): Promise<ConsumeResult> {
    const now = toEpochSeconds(this.clock());
    try {
      const output = await this.documentClient.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: stateKey(state) },
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      const item = output.Attributes;
      if (!item || !isRegion(item.region)) return { ok: false, reason: 'unknown' };
      // DynamoDB's TTL deletes lazily, so expiry is checked here; the expired item is gone either way.
      if (typeof item.expiresAt !== 'number' || item.expiresAt <= now)
        return { ok: false, reason: 'expired' };
      return {
        ok: true,
        state: {
          region: item.region,
          sellerId: typeof item.sellerId === 'string' ? item.sellerId : undefined,
        },
      };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { ok: false, reason: 'unknown' };
      throw error;
    }
  }
}

function stateKey(state: string): string {
  return `state#${createHash('sha256').update(state).digest('base64url')}`;
}
