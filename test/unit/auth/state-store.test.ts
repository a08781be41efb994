import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { STATE_PATTERN, STATE_TTL_SECONDS, StateStore } from '../../../lambda/auth/state-store';

const TABLE = 'states';
const NOW_MS = Date.UTC(2026, 10, 24, 20, 19, 26, 500);
const NOW_S = Math.floor(NOW_MS / 1000);

const ddbMock = mockClient(DynamoDBDocumentClient);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const store = new StateStore(documentClient, TABLE, () => NOW_MS);

const keyOf = (state: string) => `state#${createHash('sha256').update(state).digest('base64url')}`;

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

beforeEach(() => {
  ddbMock.reset();
});

describe('StateStore.create', () => {
  it('returns 256 random bits as base64url and stores only their sha256 hash, bound to the region', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    const state = await store.create({ region: 'EU' });

    // Assess
    expect(state).toMatch(STATE_PATTERN);
    expect(Buffer.from(state, 'base64url')).toHaveLength(32);
    expect(ddbMock).toReceiveCommandTimes(PutCommand, 1);
    expect(ddbMock).toReceiveCommandWith(PutCommand, {
      TableName: TABLE,
      Item: { pk: keyOf(state), region: 'EU', createdAt: NOW_S, expiresAt: NOW_S + STATE_TTL_SECONDS },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const stored = JSON.stringify(ddbMock.commandCalls(PutCommand)[0]?.args[0].input);
    expect(stored).not.toContain(state);
  });

  it('expires the state within 10 minutes', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    await store.create({ region: 'NA' });

    // Assess
    const item = ddbMock.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item?.expiresAt).toBeGreaterThan(NOW_S);
    expect(item?.expiresAt).toBeLessThanOrEqual(NOW_S + 600);
  });

  it('binds the seller when the flow named one, and omits the attribute otherwise', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    await store.create({ region: 'FE', sellerId: 'A2EUQ1WTGCTBG2' });
    await store.create({ region: 'FE' });

    // Assess
    const [withSeller, withoutSeller] = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
    expect(withSeller).toMatchObject({ region: 'FE', sellerId: 'A2EUQ1WTGCTBG2' });
    expect(withoutSeller).not.toHaveProperty('sellerId');
  });

  it('never hands out the same state twice', async () => {
    // Prepare
    ddbMock.on(PutCommand).resolves({});

    // Act
    const states = await Promise.all(Array.from({ length: 50 }, () => store.create({ region: 'NA' })));

    // Assess
    expect(new Set(states).size).toBe(50);
  });
});

describe('StateStore.consume', () => {
  const state = 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c';

  it('deletes the hashed key atomically and returns the binding', async () => {
    // Prepare
    ddbMock.on(DeleteCommand).resolves({
      Attributes: { pk: keyOf(state), region: 'EU', sellerId: 'A2EUQ1WTGCTBG2', expiresAt: NOW_S + 1 },
    });

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: true, state: { region: 'EU', sellerId: 'A2EUQ1WTGCTBG2' } });
    expect(ddbMock).toReceiveCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { pk: keyOf(state) },
      ConditionExpression: 'attribute_exists(pk)',
      ReturnValues: 'ALL_OLD',
    });
  });

  it('reports a state that fails the condition (never issued, or already used) as unknown', async () => {
    // Prepare
    ddbMock.on(DeleteCommand).rejects(conditionFailed());

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unknown' });
  });

  it('reports a state whose expiry has passed as expired, even though the item still existed', async () => {
    // Prepare
    ddbMock
      .on(DeleteCommand)
      .resolves({ Attributes: { pk: keyOf(state), region: 'EU', expiresAt: NOW_S - 60 } });

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'expired' });
  });

  it('treats the expiry second itself as expired', async () => {
    // Prepare
    ddbMock.on(DeleteCommand).resolves({ Attributes: { pk: keyOf(state), region: 'EU', expiresAt: NOW_S } });

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'expired' });
  });

  it('reports an item without a known region as unknown', async () => {
    // Prepare
    ddbMock
      .on(DeleteCommand)
      .resolves({ Attributes: { pk: keyOf(state), region: 'XX', expiresAt: NOW_S + 60 } });

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unknown' });
  });

  it('rethrows failures other than the condition', async () => {
    // Prepare
    ddbMock.on(DeleteCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // Act
    const consuming = store.consume(state);

    // Assess
    await expect(consuming).rejects.toThrow('ProvisionedThroughputExceededException');
  });

  it('a state created by the store can be consumed once, and a replay is unknown', async () => {
    // Prepare: a tiny in-memory table behind the mock, honouring both conditions.
    const table = new Map<string, Record<string, unknown>>();
    ddbMock.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
      const pk = input.Item.pk as string;
      if (table.has(pk)) throw conditionFailed();
      table.set(pk, input.Item);
      return {};
    });
    ddbMock.on(DeleteCommand).callsFake((input: { Key: { pk: string } }) => {
      const old = table.get(input.Key.pk);
      if (!old) throw conditionFailed();
      table.delete(input.Key.pk);
      return { Attributes: old };
    });
    const created = await store.create({ region: 'NA' });

    // Act
    const first = await store.consume(created);
    const replay = await store.consume(created);

    // Assess
    expect(first).toEqual({ ok: true, state: { region: 'NA', sellerId: undefined } });
    expect(replay).toEqual({ ok: false, reason: 'unknown' });
  });
});
