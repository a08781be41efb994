import { DescribeSecretCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { StateStore } from '../../../lambda/auth/state-store';
import { DEFAULT_CLIENT, type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { deployToEmulators, type EmulatedDeployment } from '../../support/emulated-deployment';
import type { LogCapture } from '../../support/log-capture';

type AuthorizeModule = typeof import('../../../lambda/auth/authorize-handler');
type LoginModule = typeof import('../../../lambda/auth/login-handler');
type CallbackModule = typeof import('../../../lambda/auth/callback-handler');
type Query = Array<[string, string]>;

export interface AuthHandlers {
  readonly handleAuthorize: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  readonly handleLogin: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  readonly handleCallback: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
}

/**
 * Loads the real handlers the way Lambda would: with their environment set before the module
 * runs, because each reads its configuration and builds its SDK clients at load time. An isolated
 * registry gives every test bed its own configuration.
 */
export function loadHandlers(
  env: Readonly<Record<string, string>>,
  context: typeof lambdaContext = lambdaContext,
): AuthHandlers {
  const saved = new Map(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  let handlers: AuthHandlers | undefined;
  try {
    jest.isolateModules(() => {
      // The exported middy-wrapped `handler`s, exactly what Lambda invokes.
      handlers = {
        handleAuthorize: invokeAsLambda(
          (require('../../../lambda/auth/authorize-handler') as AuthorizeModule).handler,
          context,
        ),
        handleLogin: invokeAsLambda(
          (require('../../../lambda/auth/login-handler') as LoginModule).handler,
          context,
        ),
        handleCallback: invokeAsLambda(
          (require('../../../lambda/auth/callback-handler') as CallbackModule).handler,
          context,
        ),
      };
    });
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  if (!handlers) throw new Error('the auth handlers did not load');
  return handlers;
}

/** A Lambda context as the runtime passes it; Powertools reads the request id and function name. */
export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'auth-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:auth-test',
  memoryLimitInMB: '256',
  awsRequestId: 'test-request-id',
  logGroupName: '/aws/lambda/auth-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 28_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

type LambdaHandler = (
  event: APIGatewayProxyEvent,
  context: typeof lambdaContext,
) => Promise<APIGatewayProxyResult>;

function invokeAsLambda(
  handler: unknown,
  context: typeof lambdaContext,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  return (event) => (handler as LambdaHandler)(event, context);
}

export interface Snapshot {
  readonly secrets: string[];
  readonly sellers: Array<Record<string, unknown>>;
}

export interface AuthTestBedOptions {
  readonly draft?: boolean;
  readonly clientSecret?: string;
  readonly extraAppSecretFields?: Record<string, unknown>;
  /** Where the handlers reach LWA; the emulator itself by default, or a proxy in front of it. */
  readonly lwaUrl?: (emulator: LwaEmulator) => string;
  readonly env?: Record<string, string>;
  /** What `getRemainingTimeInMillis` answers the handlers; the function's full 28 s by default. */
  readonly remainingTimeMs?: number;
  /**
   * Loads the handlers for the deployment's environment; by default the sources in this process
   * ({@link loadHandlers}). The Node 24 test passes bundles that run in a Node 24 subprocess.
   */
  readonly loadHandlers?: (env: Readonly<Record<string, string>>) => AuthHandlers;
}

/**
 * One emulated deployment (moto + the LWA emulator) with the real handlers loaded against it.
 * Every response the handlers give is kept, so a file can check them all for leaks at the end.
 */
export class AuthTestBed {
  readonly responses: APIGatewayProxyResult[] = [];
  /** Client secrets the app credentials secret holds; none may ever show up in a log or response. */
  readonly clientSecrets: string[];

  private constructor(
    readonly emulator: LwaEmulator,
    readonly deployment: EmulatedDeployment,
    readonly handlers: AuthHandlers,
    clientSecrets: string[],
  ) {
    this.clientSecrets = clientSecrets;
  }

  static async start(options: AuthTestBedOptions = {}): Promise<AuthTestBed> {
    const emulator = await startLwaEmulator();
    const deployment = await deployToEmulators({
      lwaUrl: options.lwaUrl?.(emulator) ?? emulator.url,
      draft: options.draft,
      clientSecret: options.clientSecret,
      extraAppSecretFields: options.extraAppSecretFields,
      namePrefix: 'auth-it',
    });
    const remainingTimeMs = options.remainingTimeMs;
    const env = { ...deployment.env, ...options.env };
    const handlers = options.loadHandlers
      ? options.loadHandlers(env)
      : loadHandlers(
          env,
          remainingTimeMs === undefined
            ? lambdaContext
            : { ...lambdaContext, getRemainingTimeInMillis: () => remainingTimeMs },
        );
    const previous = options.extraAppSecretFields?.previousClientSecret;
    const clientSecrets = [options.clientSecret ?? DEFAULT_CLIENT.clientSecret].filter(
      (s) => s !== 'REPLACE_ME',
    );
    if (typeof previous === 'string') clientSecrets.push(previous);
    return new AuthTestBed(emulator, deployment, handlers, clientSecrets);
  }

  async stop(): Promise<void> {
    this.deployment.documentClient.destroy();
    this.deployment.secretsManager.destroy();
    await this.emulator.stop();
  }

  async authorize(query: Query, options?: EventOptions): Promise<APIGatewayProxyResult> {
    return this.keep(await this.handlers.handleAuthorize(apiGatewayEvent('/authorize', query, options)));
  }

  async login(query: Query, options?: EventOptions): Promise<APIGatewayProxyResult> {
    return this.keep(await this.handlers.handleLogin(apiGatewayEvent('/login', query, options)));
  }

  async callback(query: Query, options?: EventOptions): Promise<APIGatewayProxyResult> {
    return this.keep(await this.handlers.handleCallback(apiGatewayEvent('/callback', query, options)));
  }

  /** `/authorize` for the region, and the state from the consent URL it redirected to. */
  async newState(region: 'NA' | 'EU' | 'FE' = 'EU'): Promise<string> {
    const response = await this.authorize([['region', region]]);
    if (response.statusCode !== 302) throw new Error(`/authorize answered ${response.statusCode}`);
    const state = new URL(locationOf(response)).searchParams.get('state');
    if (!state) throw new Error('/authorize redirected without a state');
    return state;
  }

  /** A state created directly in the state table, as /authorize would have `minutesAgo` ago. */
  async stateCreatedMinutesAgo(minutesAgo: number, region: 'NA' | 'EU' | 'FE' = 'EU'): Promise<string> {
    const past = Date.now() - minutesAgo * 60_000;
    const store = new StateStore(this.deployment.documentClient, this.deployment.stateTableName, () => past);
    return store.create({ region });
  }

  /** A state, a fresh code for the seller, and the callback query Seller Central would send. */
  async consentedCallback(sellerId: string): Promise<{ state: string; code: string; query: Query }> {
    const state = await this.newState('EU');
    const code = this.emulator.issueAuthorizationCode({ sellerId });
    return {
      state,
      code,
      query: [
        ['state', state],
        ['selling_partner_id', sellerId],
        ['spapi_oauth_code', code],
      ],
    };
  }

  secretName(region: string, sellerId: string): string {
    return `${this.deployment.tokenSecretPrefix}/sellers/${region}/${sellerId}`;
  }

  /** Names of every token secret under this deployment's prefix. */
  async tokenSecretNames(): Promise<string[]> {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.deployment.secretsManager.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [`${this.deployment.tokenSecretPrefix}/`] }],
          NextToken,
        }),
      );
      for (const secret of page.SecretList ?? []) if (secret.Name) names.push(secret.Name);
      NextToken = page.NextToken;
    } while (NextToken);
    return names.sort();
  }

  async describeSecret(name: string) {
    return this.deployment.secretsManager.send(new DescribeSecretCommand({ SecretId: name }));
  }

  async sellerItem(sellerId: string, region: string): Promise<Record<string, unknown> | undefined> {
    const output = await this.deployment.documentClient.send(
      new GetCommand({
        TableName: this.deployment.sellerTableName,
        Key: { sellerId, region },
        ConsistentRead: true,
      }),
    );
    return output.Item;
  }

  /** Scans are fine here: the tables are this test bed's own and hold a handful of items. */
  async scan(tableName: string): Promise<Array<Record<string, unknown>>> {
    const output = await this.deployment.documentClient.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true }),
    );
    return output.Items ?? [];
  }

  /**
   * Every item of the state table, as sorted JSON: what a refused request must leave exactly as it
   * was (a live state stays usable, an expired one waits for the TTL).
   */
  async stateItems(): Promise<string[]> {
    const items = await this.scan(this.deployment.stateTableName);
    return items.map((item) => JSON.stringify(item, Object.keys(item).sort())).sort();
  }

  async snapshot(): Promise<Snapshot> {
    return {
      secrets: await this.tokenSecretNames(),
      sellers: await this.scan(this.deployment.sellerTableName),
    };
  }

  private keep(response: APIGatewayProxyResult): APIGatewayProxyResult {
    this.responses.push(response);
    return response;
  }
}

type EventOptions = Parameters<typeof apiGatewayEvent>[2];

export function locationOf(response: APIGatewayProxyResult): string {
  const location = response.headers?.Location;
  if (typeof location !== 'string') throw new Error(`response ${response.statusCode} has no Location header`);
  return location;
}

export function expectSecurityHeaders(response: APIGatewayProxyResult): void {
  expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
}

/** A 4xx page with the message a seller can act on. */
export function expectRejected(response: APIGatewayProxyResult, status: number, message: string): void {
  expect(response.statusCode).toBe(status);
  expect(response.headers).toMatchObject({ 'Content-Type': 'text/html; charset=utf-8' });
  expect(response.body).toContain(message);
  expectSecurityHeaders(response);
}

/** A selling partner id no other test uses, in the SP-API shape. */
export function newSellerId(): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let id = 'A';
  for (let i = 0; i < 13; i++) id += letters[Math.floor(Math.random() * letters.length)];
  return id;
}

/**
 * The file's last check: nothing any handler logged, and nothing any handler answered, holds a
 * code, token or client secret. It also proves the capture saw the handlers' logs at all.
 */
export function expectNoSecretsLeaked(beds: AuthTestBed[], logs: LogCapture, expectedLogLine: string): void {
  const secrets = beds.flatMap((bed) => [...bed.emulator.issuedSecrets(), ...bed.clientSecrets]);
  const responses = beds.flatMap((bed) => bed.responses);
  expect(secrets.length).toBeGreaterThan(0);
  expect(responses.length).toBeGreaterThan(0);
  expect(logs.lines.some((line) => line.includes(expectedLogLine))).toBe(true);

  expect(logs.leaksOf(secrets)).toEqual([]);
  const leakingResponses = responses.filter((response) => {
    const text = JSON.stringify(response);
    return secrets.some((secret) => text.includes(secret));
  });
  expect(leakingResponses).toEqual([]);
  for (const response of responses) expectSecurityHeaders(response);
}
