import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  BatchGetSecretValueCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { completeAuthorization } from '../../lambda/auth/seller-authorization';
import { StateStore } from '../../lambda/auth/state-store';
import { loadRefreshConfig, type RefreshHandlerConfig } from '../../lambda/refresh/config';
import { type RefreshRunSummary, runRefresh, SECRET_WRITE_MARGIN_MS } from '../../lambda/refresh/refresher';
import { createRefreshDeps, type RefreshRuntime } from '../../lambda/refresh/wiring';
import { AppCredentialsProvider } from '../../lambda/shared/app-credentials';
import { DEFAULT_AWS_RETRY } from '../../lambda/shared/aws-clients';
import { EventBridgePublisher, noLifecycleEvents } from '../../lambda/shared/lifecycle-events';
import { LwaClient } from '../../lambda/shared/lwa-client';
import type { Region } from '../../lambda/shared/regions';
import { SellerRepository } from '../../lambda/shared/seller-repository';
import type { SellerItem } from '../../lambda/shared/seller-table';
import { parseTokenSecret, type TokenSecretValue } from '../../lambda/shared/token-secret';
import { TokenStore } from '../../lambda/shared/token-store';
import { type LwaEmulator, type LwaEmulatorOptions, startLwaEmulator } from '../emulators/lwa';
import { deployToEmulators, type EmulatedDeployment } from './emulated-deployment';

/** The refresh function's default timeout (lib/defaults.ts). */
const DEFAULT_INVOCATION_MS = 300_000;

/** A clock the test moves by hand; our code and the LWA emulators both read it. */
export class SimulatedClock {
  constructor(private current: number) {}
  readonly now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
  /** Moves forward to `ms`, never back: pacing sleeps may already have moved past a tick. */
  advanceTo(ms: number): void {
    this.current = Math.max(this.current, ms);
  }
}

export interface RefreshHarnessOptions {
  /** One emulator per distinct entry; regions without an entry share the default emulator. */
  readonly emulators?: Partial<Record<Region, LwaEmulatorOptions>>;
  readonly defaultEmulator?: LwaEmulatorOptions;
  readonly env?: Record<string, string>;
}

export interface RefreshHarness {
  readonly clock: SimulatedClock;
  readonly deployment: EmulatedDeployment;
  readonly lwa: Readonly<Record<Region, LwaEmulator>>;
  readonly emulators: readonly LwaEmulator[];
  readonly config: RefreshHandlerConfig;
  readonly logger: Logger;
  /** Authorizes sellers through the real callback core, at the simulated time. */
  authorize(sellers: ReadonlyArray<{ sellerId: string; region: Region }>): Promise<void>;
  /** One refresh invocation with the real wiring; only the clock and sleep are simulated. */
  run(options?: {
    deadlineMs?: number;
    /** Until when a rotated token's write retries; defaults to a 5-minute invocation's end less its margin. */
    writeDeadlineMs?: number;
    runtime?: Partial<RefreshRuntime>;
    config?: Partial<RefreshHandlerConfig>;
  }): Promise<RefreshRunSummary>;
  readSecret(
    sellerId: string,
    region: Region,
    stage?: 'AWSCURRENT' | 'AWSPREVIOUS',
  ): Promise<TokenSecretValue>;
  /** All seller secrets under the prefix, read in batches of 20. */
  readAllSecrets(): Promise<TokenSecretValue[]>;
  readItem(sellerId: string, region: Region): Promise<SellerItem | undefined>;
  /** Every code and token any emulator issued, for leak checks. */
  issuedSecrets(): string[];
  stop(): Promise<void>;
}

export async function startRefreshHarness(options: RefreshHarnessOptions = {}): Promise<RefreshHarness> {
  const clock = new SimulatedClock(Math.floor(Date.now() / 1000) * 1000);
  const shared = await startLwaEmulator({ ...options.defaultEmulator, now: clock.now });
  const emulators: LwaEmulator[] = [shared];
  const lwa: Record<Region, LwaEmulator> = { NA: shared, EU: shared, FE: shared };
  for (const [region, emulatorOptions] of Object.entries(options.emulators ?? {})) {
    const emulator = await startLwaEmulator({ ...emulatorOptions, now: clock.now });
    emulators.push(emulator);
    lwa[region as Region] = emulator;
  }
  const deployment = await deployToEmulators({ lwaUrl: shared.url, namePrefix: 'refresh' });
  const env = {
    ...deployment.env,
    LWA_ENDPOINTS: JSON.stringify({ NA: lwa.NA.url, EU: lwa.EU.url, FE: lwa.FE.url }),
    ...options.env,
  };
  const config = loadRefreshConfig(env);
  const logger = new Logger({ serviceName: 'lwa-token-service-test' });
  const sleep = async (ms: number): Promise<void> => clock.advance(ms);
  const retry = { ...DEFAULT_AWS_RETRY, sleep, random: Math.random };
  const secretsManager: SecretsManagerClient = deployment.secretsManager;

  const authorizeDeps = {
    states: new StateStore(deployment.documentClient, deployment.stateTableName, clock.now),
    appCredentials: new AppCredentialsProvider(secretsManager, deployment.appSecretId, clock.now),
    lwa: new LwaClient(),
    tokens: new TokenStore(secretsManager, retry),
    sellers: new SellerRepository(deployment.documentClient, deployment.sellerTableName),
    events: config.eventBusName
      ? new EventBridgePublisher(new EventBridgeClient({}), config.eventBusName, { retry, log: logger })
      : noLifecycleEvents,
    clock: clock.now,
    random: Math.random,
    retry,
    config: {
      tokenSecretPrefix: config.tokenSecretPrefix,
      lwaEndpoints: config.lwaEndpoints,
      kmsKeyId: config.kmsKeyId,
      leadSeconds: config.leadSeconds,
      spreadSeconds: config.spreadSeconds,
    },
  };

  const readSecret = async (
    sellerId: string,
    region: Region,
    stage: 'AWSCURRENT' | 'AWSPREVIOUS' = 'AWSCURRENT',
  ) => {
    const name = `${config.tokenSecretPrefix}/sellers/${region}/${sellerId}`;
    const output = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: name, VersionStage: stage }),
    );
    return parseTokenSecret(name, output.SecretString);
  };

  return {
    clock,
    deployment,
    lwa,
    emulators,
    config,
    logger,
    async authorize(sellers) {
      for (const seller of sellers) {
        const state = await authorizeDeps.states.create({ region: seller.region });
        const code = lwa[seller.region].issueAuthorizationCode({ sellerId: seller.sellerId });
        await completeAuthorization(authorizeDeps, {
          state,
          sellerId: seller.sellerId,
          code,
          redirectUri: 'https://example.execute-api.us-east-1.amazonaws.com/prod/callback',
        });
      }
    },
    run(runOptions = {}) {
      const runConfig = { ...config, ...runOptions.config };
      const deps = createRefreshDeps(runConfig, {
        log: logger,
        clock: clock.now,
        sleep,
        secretsManager,
        documentClient: deployment.documentClient,
        // Generous, because on an overloaded machine an answer LWA (the emulator) already acted on
        // can arrive after a 10 s timeout: it has rotated the refresh token, and the retry with the
        // old one gets invalid_grant. Tests of timeouts pass their own.
        lwaTimeoutMs: 60_000,
        ...runOptions.runtime,
      });
      return runRefresh(deps, {
        deadlineMs: runOptions.deadlineMs ?? clock.now() + runConfig.runBudgetSeconds * 1000,
        writeDeadlineMs:
          runOptions.writeDeadlineMs ?? clock.now() + DEFAULT_INVOCATION_MS - SECRET_WRITE_MARGIN_MS,
      });
    },
    readSecret,
    async readAllSecrets() {
      const values: TokenSecretValue[] = [];
      let nextToken: string | undefined;
      do {
        const page = await secretsManager.send(
          new BatchGetSecretValueCommand({
            Filters: [{ Key: 'name', Values: [`${config.tokenSecretPrefix}/sellers/`] }],
            MaxResults: 20,
            NextToken: nextToken,
          }),
        );
        for (const secret of page.SecretValues ?? [])
          values.push(parseTokenSecret(secret.Name ?? '?', secret.SecretString));
        nextToken = page.NextToken;
      } while (nextToken);
      return values;
    },
    async readItem(sellerId, region) {
      const output = await deployment.documentClient.send(
        new GetCommand({ TableName: deployment.sellerTableName, Key: { sellerId, region } }),
      );
      return output.Item as SellerItem | undefined;
    },
    issuedSecrets() {
      return emulators.flatMap((e) => e.issuedSecrets());
    },
    async stop() {
      await Promise.all(emulators.map((e) => e.stop()));
    },
  };
}

/** Seller ids in the SP-API format: "A" and upper-case alphanumerics. */
export function sellerIds(count: number, tag = 'T'): string[] {
  return Array.from({ length: count }, (_, i) => `A${tag}${String(i).padStart(6, '0')}XYZ`);
}
