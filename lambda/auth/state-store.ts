import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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

/** What the callback presenting a state says about it; each field, when given, must match. */
export interface StateExpectation {
  /** The region the callback URL names. */
  readonly region?: Region;
  /** The seller the callback is for; a state from /login must be bound to the same one. */
  readonly sellerId?: string;
}

export type StateRefusal = 'unknown' | 'expired' | 'other-region' | 'other-seller';

export type ConsumeResult =
  | { readonly ok: true; readonly state: AuthorizationState }
  | { readonly ok: false; readonly reason: StateRefusal };

/**
 * Single-use OAuth `state` values, kept in a DynamoDB table with a TTL. Only a hash of the state
 * is stored, so the table never holds a value that could be replayed.
 *
 * A state is spent only by a request that it lets through: whatever is refused (expired, another
 * region or seller) is decided on a strongly consistent read before any write, so a stray or
 * forged request cannot use up the link a seller is about to complete.
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

  /** Whether the state is live and matches the request, without spending it. */
  async check(state: string, expected: StateExpectation = {}): Promise<ConsumeResult> {
    const output = await this.documentClient.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: stateKey(state) }, ConsistentRead: true }),
    );
    return judge(output.Item, expected, toEpochSeconds(this.clock()));
  }

  /**
   * Spends a live state that matches the request and returns what it was bound to. The delete is
   * conditional on the item still being there, so of two callbacks racing with one state only one
   * succeeds; a refused request writes nothing.
   */
  async consume(state: string, expected: StateExpectation = {}): Promise<ConsumeResult> {
    const checked = await this.check(state, expected);
    if (!checked.ok) return checked;
    try {
      await this.documentClient.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: stateKey(state) },
          // State items are never updated, so "still there" means "still the item just read".
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { ok: false, reason: 'unknown' };
      throw error;
    }
    return checked;
  }
}

function judge(
  item: Record<string, unknown> | undefined,
  expected: StateExpectation,
  nowSeconds: number,
): ConsumeResult {
  if (!item || !isRegion(item.region)) return { ok: false, reason: 'unknown' };
  // DynamoDB's TTL deletes lazily, so expiry is checked here; the TTL removes the item later.
  if (typeof item.expiresAt !== 'number' || item.expiresAt <= nowSeconds)
    return { ok: false, reason: 'expired' };
  if (expected.region !== undefined && expected.region !== item.region)
    return { ok: false, reason: 'other-region' };
  const sellerId = typeof item.sellerId === 'string' ? item.sellerId : undefined;
  if (sellerId !== undefined && expected.sellerId !== undefined && sellerId !== expected.sellerId)
    return { ok: false, reason: 'other-seller' };
  return { ok: true, state: { region: item.region, sellerId } };
}

function stateKey(state: string): string {
  return `state#${createHash('sha256').update(state).digest('base64url')}`;
}
