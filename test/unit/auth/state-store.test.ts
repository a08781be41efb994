import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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

  function givenItem(item: Record<string, unknown> | undefined): void {
    ddbMock.on(GetCommand).resolves(item ? { Item: { pk: keyOf(state), ...item } } : {});
    ddbMock.on(DeleteCommand).resolves({});
  }

  it('reads the hashed key strongly consistently, deletes it only if still there, and returns the binding', async () => {
    // Prepare
    givenItem({ region: 'EU', sellerId: 'A2EUQ1WTGCTBG2', expiresAt: NOW_S + 1 });

    // Act
    const result = await store.consume(state, { region: 'EU', sellerId: 'A2EUQ1WTGCTBG2' });

    // Assess
    expect(result).toEqual({ ok: true, state: { region: 'EU', sellerId: 'A2EUQ1WTGCTBG2' } });
    expect(ddbMock).toReceiveCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { pk: keyOf(state) },
      ConsistentRead: true,
    });
    expect(ddbMock).toReceiveCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { pk: keyOf(state) },
      ConditionExpression: 'attribute_exists(pk)',
    });
  });

  it('reports a state that is not in the table (never issued, or already used) as unknown, writing nothing', async () => {
    // Prepare
    givenItem(undefined);

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unknown' });
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
  });

  it('reports a state spent by another callback between the read and the delete as unknown', async () => {
    // Prepare
    givenItem({ region: 'EU', expiresAt: NOW_S + 60 });
    ddbMock.on(DeleteCommand).rejects(conditionFailed());

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unknown' });
  });

  it('reports a state whose expiry has passed as expired, and leaves it for the TTL', async () => {
    // Prepare
    givenItem({ region: 'EU', expiresAt: NOW_S - 60 });

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'expired' });
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
  });

  it('treats the expiry second itself as expired', async () => {
    // Prepare
    givenItem({ region: 'EU', expiresAt: NOW_S });

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a callback naming another region without spending the state', async () => {
    // Prepare
    givenItem({ region: 'EU', expiresAt: NOW_S + 60 });

    // Act
    const result = await store.consume(state, { region: 'NA' });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'other-region' });
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
  });

  it('refuses a callback for another seller than the state is bound to without spending it', async () => {
    // Prepare
    givenItem({ region: 'EU', sellerId: 'A2EUQ1WTGCTBG2', expiresAt: NOW_S + 60 });

    // Act
    const result = await store.consume(state, { sellerId: 'A1OTHERSELLER9' });

    // Assess
    expect(result).toEqual({ ok: false, reason: 'other-seller' });
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
  });

  it('accepts any seller for a state that is bound to none (the flow started at /authorize)', async () => {
    // Prepare
    givenItem({ region: 'FE', expiresAt: NOW_S + 60 });

    // Act
    const result = await store.consume(state, { region: 'FE', sellerId: 'A1OTHERSELLER9' });

    // Assess
    expect(result).toEqual({ ok: true, state: { region: 'FE', sellerId: undefined } });
    expect(ddbMock).toReceiveCommandTimes(DeleteCommand, 1);
  });

  it('reports an item without a known region as unknown', async () => {
    // Prepare
    givenItem({ region: 'XX', expiresAt: NOW_S + 60 });

    // Act
    const result = await store.consume(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'unknown' });
  });

  it('rethrows failures other than the condition', async () => {
    // Prepare
    givenItem({ region: 'EU', expiresAt: NOW_S + 60 });
    ddbMock.on(DeleteCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    // Act
    const consuming = store.consume(state);

    // Assess
    await expect(consuming).rejects.toThrow('ProvisionedThroughputExceededException');
  });

  it('a state created by the store can be consumed once, after any number of refusals, and a replay is unknown', async () => {
    // Prepare: a tiny in-memory table behind the mock, honouring the conditions.
    const table = new Map<string, Record<string, unknown>>();
    ddbMock.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => {
      const pk = input.Item.pk as string;
      if (table.has(pk)) throw conditionFailed();
      table.set(pk, input.Item);
      return {};
    });
    ddbMock.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({ Item: table.get(input.Key.pk) }));
    ddbMock.on(DeleteCommand).callsFake((input: { Key: { pk: string } }) => {
      if (!table.has(input.Key.pk)) throw conditionFailed();
      table.delete(input.Key.pk);
      return {};
    });
    const created = await store.create({ region: 'NA', sellerId: 'A2EUQ1WTGCTBG2' });

    // Act
    const otherRegion = await store.consume(created, { region: 'EU' });
    const otherSeller = await store.consume(created, { sellerId: 'A1OTHERSELLER9' });
    const first = await store.consume(created, { region: 'NA', sellerId: 'A2EUQ1WTGCTBG2' });
    const replay = await store.consume(created, { region: 'NA', sellerId: 'A2EUQ1WTGCTBG2' });

    // Assess
    expect(otherRegion).toEqual({ ok: false, reason: 'other-region' });
    expect(otherSeller).toEqual({ ok: false, reason: 'other-seller' });
    expect(first).toEqual({ ok: true, state: { region: 'NA', sellerId: 'A2EUQ1WTGCTBG2' } });
    expect(replay).toEqual({ ok: false, reason: 'unknown' });
  });
});

describe('StateStore.check', () => {
  const state = 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c';

  it('answers for a live state without writing anything', async () => {
    // Prepare
    ddbMock.on(GetCommand).resolves({ Item: { pk: keyOf(state), region: 'EU', expiresAt: NOW_S + 60 } });

    // Act
    const result = await store.check(state);

    // Assess
    expect(result).toEqual({ ok: true, state: { region: 'EU', sellerId: undefined } });
    expect(ddbMock).toReceiveCommandWith(GetCommand, { ConsistentRead: true });
    expect(ddbMock).not.toReceiveCommand(DeleteCommand);
  });

  it('reports an expired state as expired', async () => {
    // Prepare
    ddbMock.on(GetCommand).resolves({ Item: { pk: keyOf(state), region: 'EU', expiresAt: NOW_S - 1 } });

    // Act
    const result = await store.check(state);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'expired' });
  });
});
