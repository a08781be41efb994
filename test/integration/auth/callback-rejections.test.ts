import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import {
  AuthTestBed,
  expectNoSecretsLeaked,
  expectRejected,
  newSellerId,
  type Snapshot,
} from './auth-test-bed';

// Every kind of bad input to the real /callback handler gets a clear 4xx page, writes nothing
// (no token secret under the prefix, no sellers table item, no change to the state table: a live
// state it presented stays usable for the seller's real callback) and never reaches LWA. Only an
// LWA failure (502) spends the state, since the single-use code was spent with it.

type Query = Array<[string, string]>;

let logs: LogCapture;
let bed: AuthTestBed;

beforeAll(async () => {
  logs = captureLogs();
  bed = await AuthTestBed.start();
});

afterAll(async () => {
  logs.restore();
  await bed?.stop();
});

afterEach(() => {
  bed.emulator.clearFaults();
});

interface Before {
  readonly snapshot: Snapshot;
  readonly states: string[];
  readonly lwaCalls: number;
}

async function writesNow(): Promise<Before> {
  return {
    snapshot: await bed.snapshot(),
    states: await bed.stateItems(),
    lwaCalls: bed.emulator.callCount(),
  };
}

async function expectNothingWritten(was: Before): Promise<void> {
  expect(await bed.snapshot()).toEqual(was.snapshot);
  expect(await bed.stateItems()).toEqual(was.states);
  expect(bed.emulator.callCount() - was.lwaCalls).toBe(0);
}

/** Replaces (or, with `undefined`, removes) one parameter of a valid callback query. */
function withParam(query: Query, name: string, value: string | undefined): Query {
  const rest = query.filter(([key]) => key !== name);
  return value === undefined ? rest : [...rest, [name, value]];
}

async function isStateSpent(state: string): Promise<boolean> {
  const output = await bed.deployment.documentClient.send(
    new GetCommand({
      TableName: bed.deployment.stateTableName,
      Key: { pk: `state#${createHash('sha256').update(state).digest('base64url')}` },
      ConsistentRead: true,
    }),
  );
  return output.Item === undefined;
}

describe('a missing parameter', () => {
  it.each([
    ['state', 'The state parameter is missing.'],
    ['selling_partner_id', 'The selling_partner_id parameter is missing.'],
    ['spapi_oauth_code', 'The spapi_oauth_code parameter is missing.'],
  ])('without %s: 400, nothing written, LWA not called', async (name, message) => {
    // Prepare
    const { query } = await bed.consentedCallback(newSellerId());
    const was = await writesNow();

    // Act
    const response = await bed.callback(withParam(query, name, undefined));

    // Assess
    expectRejected(response, 400, message);
    await expectNothingWritten(was);
  });

  it('with an empty code: 400, nothing written', async () => {
    // Prepare
    const { query } = await bed.consentedCallback(newSellerId());
    const was = await writesNow();

    // Act
    const response = await bed.callback(withParam(query, 'spapi_oauth_code', ''));

    // Assess
    expectRejected(response, 400, 'The spapi_oauth_code parameter is missing.');
    await expectNothingWritten(was);
  });
});

describe('a duplicated parameter', () => {
  it('a repeated state: 400, nothing written, LWA not called', async () => {
    // Prepare
    const first = await bed.consentedCallback(newSellerId());
    const otherState = await bed.newState('EU');
    const was = await writesNow();

    // Act
    const response = await bed.callback([...first.query, ['state', otherState]]);

    // Assess
    expectRejected(response, 400, 'The state parameter is duplicated.');
    await expectNothingWritten(was);
  });

  it('a repeated code: 400, nothing written, LWA not called', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { query } = await bed.consentedCallback(sellerId);
    const otherCode = bed.emulator.issueAuthorizationCode({ sellerId });
    const was = await writesNow();

    // Act
    const response = await bed.callback([...query, ['spapi_oauth_code', otherCode]]);

    // Assess
    expectRejected(response, 400, 'The spapi_oauth_code parameter is duplicated.');
    await expectNothingWritten(was);
  });
});

describe('an oversized parameter', () => {
  it('a code over 1024 characters: 400, nothing written, LWA not called', async () => {
    // Prepare
    const { query } = await bed.consentedCallback(newSellerId());
    const was = await writesNow();

    // Act
    const response = await bed.callback(withParam(query, 'spapi_oauth_code', 'A'.repeat(1025)));

    // Assess
    expectRejected(response, 400, 'The spapi_oauth_code parameter is oversized.');
    await expectNothingWritten(was);
  });

  it('an oversized state: 400, nothing written, LWA not called', async () => {
    // Prepare
    const { query, state } = await bed.consentedCallback(newSellerId());
    const was = await writesNow();

    // Act
    const response = await bed.callback(withParam(query, 'state', state.repeat(2)));

    // Assess
    expectRejected(response, 400, 'The state parameter is oversized.');
    await expectNothingWritten(was);
  });
});

describe('a malformed parameter', () => {
  it.each([
    ['a state with a character outside base64url', (s: string) => `${s.slice(0, 42)}!`],
    ['a truncated state', (s: string) => s.slice(0, 20)],
  ])('%s: 400, nothing written, LWA not called', async (_, mangle) => {
    // Prepare
    const { query, state } = await bed.consentedCallback(newSellerId());
    const was = await writesNow();

    // Act
    const response = await bed.callback(withParam(query, 'state', mangle(state)));

    // Assess
    expectRejected(response, 400, 'The state parameter is malformed.');
    await expectNothingWritten(was);
  });

  it.each([['not-a-seller'], ['a2euq1wtgctbg2'], ['A2EUQ1/../../X']])(
    'selling_partner_id=%s: 400, nothing written, LWA not called',
    async (sellerId) => {
      // Prepare
      const { query } = await bed.consentedCallback(newSellerId());
      const was = await writesNow();

      // Act
      const response = await bed.callback(withParam(query, 'selling_partner_id', sellerId));

      // Assess
      expectRejected(response, 400, 'The selling_partner_id parameter is malformed.');
      await expectNothingWritten(was);
    },
  );

  it('a code with characters no LWA code has: 400, nothing written, LWA not called', async () => {
    // Prepare
    const { query } = await bed.consentedCallback(newSellerId());
    const was = await writesNow();

    // Act
    const response = await bed.callback(withParam(query, 'spapi_oauth_code', 'abc<script>'));

    // Assess
    expectRejected(response, 400, 'The spapi_oauth_code parameter is malformed.');
    await expectNothingWritten(was);
  });

  it('an unknown region: 400, nothing written, LWA not called', async () => {
    // Prepare
    const { query } = await bed.consentedCallback(newSellerId());
    const was = await writesNow();

    // Act
    const response = await bed.callback([...query, ['region', 'US']]);

    // Assess
    expectRejected(response, 400, 'The region parameter is malformed.');
    await expectNothingWritten(was);
  });
});

describe('a state that is not valid for this callback', () => {
  it('an unknown state: 400, nothing written, LWA not called', async () => {
    // Prepare
    const sellerId = newSellerId();
    const code = bed.emulator.issueAuthorizationCode({ sellerId });
    const neverIssued = 'Zm9yZ2VkLXN0YXRlLXRoYXQtd2FzLW5ldmVyLWlzc3U';
    const was = await writesNow();

    // Act
    const response = await bed.callback([
      ['state', neverIssued],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expectRejected(response, 400, 'This authorization link is unknown or has already been used.');
    await expectNothingWritten(was);
  });

  it('an expired state (created 11 minutes ago): 400, nothing written, LWA not called', async () => {
    // Prepare
    const sellerId = newSellerId();
    const state = await bed.stateCreatedMinutesAgo(11);
    const code = bed.emulator.issueAuthorizationCode({ sellerId });
    const was = await writesNow();

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expectRejected(response, 400, 'This authorization link has expired');
    // Nothing to spend: the expired item stays, unusable, until the table's TTL removes it.
    await expectNothingWritten(was);
    expect(await isStateSpent(state)).toBe(false);
  });

  it('a state created 9 minutes ago is still accepted', async () => {
    // Prepare
    const sellerId = newSellerId();
    const state = await bed.stateCreatedMinutesAgo(9);
    const code = bed.emulator.issueAuthorizationCode({ sellerId });

    // Act
    const response = await bed.callback([
      ['state', state],
      ['selling_partner_id', sellerId],
      ['spapi_oauth_code', code],
    ]);

    // Assess
    expect(response.statusCode).toBe(200);
  });

  it('a replayed state: 400 the second time, and the second code is never exchanged', async () => {
    // Prepare
    const sellerId = newSellerId();
    const first = await bed.consentedCallback(sellerId);
    const accepted = await bed.callback(first.query);
    const secondCode = bed.emulator.issueAuthorizationCode({ sellerId });
    const was = await writesNow();
    const secretBefore = await bed.describeSecret(bed.secretName('EU', sellerId));

    // Act
    const replay = await bed.callback(withParam(first.query, 'spapi_oauth_code', secondCode));

    // Assess
    expect(accepted.statusCode).toBe(200);
    expectRejected(replay, 400, 'This authorization link is unknown or has already been used.');
    await expectNothingWritten(was);
    const secretAfter = await bed.describeSecret(bed.secretName('EU', sellerId));
    expect(secretAfter.VersionIdsToStages).toEqual(secretBefore.VersionIdsToStages);
    expect(bed.emulator.requests.filter((r) => r.subject === sellerId)).toHaveLength(1);
  });

  it('an EU state on a callback that names NA: 400, nothing written, and the state still works for the real callback', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { query, state } = await bed.consentedCallback(sellerId);
    const was = await writesNow();

    // Act
    const response = await bed.callback([...query, ['region', 'NA']]);
    const unchanged = await writesNow();
    const real = await bed.callback([...query, ['region', 'EU']]);
    const replay = await bed.callback([
      ...withParam(query, 'spapi_oauth_code', bed.emulator.issueAuthorizationCode({ sellerId })),
      ['region', 'EU'],
    ]);

    // Assess
    expectRejected(response, 400, 'This authorization link was issued for another region.');
    expect(unchanged.snapshot).toEqual(was.snapshot);
    expect(unchanged.states).toEqual(was.states);
    expect(unchanged.lwaCalls).toBe(was.lwaCalls);
    expect(real.statusCode).toBe(200);
    expect(real.body).toContain(`Seller ${sellerId} (EU) has authorized this application`);
    expect(await bed.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE' });
    expect(await isStateSpent(state)).toBe(true);
    expectRejected(replay, 400, 'This authorization link is unknown or has already been used.');
  });

  it('two callbacks racing with one state: exactly one is authorized, the other gets 400', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { query, state } = await bed.consentedCallback(sellerId);
    const secondCode = bed.emulator.issueAuthorizationCode({ sellerId });
    const codeCallsBefore = bed.emulator.callCount('authorization_code');

    // Act
    const responses = await Promise.all([
      bed.callback(query),
      bed.callback(withParam(query, 'spapi_oauth_code', secondCode)),
    ]);

    // Assess
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 400]);
    const refused = responses.find((r) => r.statusCode === 400) as APIGatewayProxyResult;
    expectRejected(refused, 400, 'This authorization link is unknown or has already been used.');
    expect(bed.emulator.callCount('authorization_code') - codeCallsBefore).toBe(1);
    expect(await isStateSpent(state)).toBe(true);
  });
});

describe('the seller declined on the consent page', () => {
  it('error=access_denied: 403, nothing written (the state table included), LWA not called', async () => {
    // Prepare
    const state = await bed.newState('EU');
    const was = await writesNow();

    // Act
    const response = await bed.callback([
      ['state', state],
      ['error', 'access_denied'],
      ['error_description', 'The user denied the request'],
    ]);

    // Assess
    expectRejected(response, 403, 'You declined to authorize this application, so nothing was stored.');
    await expectNothingWritten(was);
    expect(await isStateSpent(state)).toBe(false);
  });

  it('a denial spends nothing: the same state still completes a consent given afterwards, once', async () => {
    // Prepare
    const sellerId = newSellerId();
    const { query, state } = await bed.consentedCallback(sellerId);
    await bed.callback([
      ['state', state],
      ['error', 'access_denied'],
    ]);

    // Act
    const consent = await bed.callback(query);
    const replay = await bed.callback(
      withParam(query, 'spapi_oauth_code', bed.emulator.issueAuthorizationCode({ sellerId })),
    );

    // Assess
    expect(consent.statusCode).toBe(200);
    expect(await bed.sellerItem(sellerId, 'EU')).toMatchObject({ status: 'ACTIVE' });
    expectRejected(replay, 400, 'This authorization link is unknown or has already been used.');
  });

  it('a denial with an expired state: 400, nothing written', async () => {
    // Prepare
    const state = await bed.stateCreatedMinutesAgo(11);
    const was = await writesNow();

    // Act
    const response = await bed.callback([
      ['state', state],
      ['error', 'access_denied'],
    ]);

    // Assess
    expectRejected(response, 400, 'This authorization link has expired');
    await expectNothingWritten(was);
  });

  it('a denial with an unknown state: 400, nothing written', async () => {
    // Prepare
    const was = await writesNow();

    // Act
    const response = await bed.callback([
      ['state', 'Zm9yZ2VkLXN0YXRlLXRoYXQtd2FzLW5ldmVyLWlzc3U'],
      ['error', 'access_denied'],
    ]);

    // Assess
    expectRejected(response, 400, 'This authorization link is unknown or has already been used.');
    await expectNothingWritten(was);
  });
});

describe('LWA fails the exchange', () => {
  it.each([
    ['an OAuth invalid_grant', { kind: 'oauth-error', error: 'invalid_grant' } as const],
    ['an HTTP 500', { kind: 'status', status: 500 } as const],
    ['an HTTP 503', { kind: 'status', status: 503 } as const],
  ])('%s: 502 asking to authorize again, nothing written, the code tried exactly once', async (_, fault) => {
    // Prepare
    const sellerId = newSellerId();
    const { query, state } = await bed.consentedCallback(sellerId);
    bed.emulator.injectFault({ ...fault, grantType: 'authorization_code', subject: sellerId });
    const was = await writesNow();
    const codeCallsBefore = bed.emulator.callCount('authorization_code');

    // Act
    const response: APIGatewayProxyResult = await bed.callback(query);

    // Assess
    expectRejected(response, 502, 'Login with Amazon did not accept the authorization. Nothing was stored.');
    expect(response.body).toContain('start the authorization again');
    expect(await bed.snapshot()).toEqual(was.snapshot);
    // The state went with the code it was presented with: both are single use.
    expect(await isStateSpent(state)).toBe(true);
    expect(await bed.stateItems()).toHaveLength(was.states.length - 1);
    expect(bed.emulator.callCount('authorization_code') - codeCallsBefore).toBe(1);
  });
});

describe('secrets stay out of logs and responses', () => {
  it('never logged or answered a code, a token or a client secret', () => {
    expectNoSecretsLeaked([bed], logs, 'Rejected state');
  });
});
