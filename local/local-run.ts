import { errorName } from '../lambda/shared/logger';
import { DEFAULT_LWA_ENDPOINTS, REGIONS } from '../lambda/shared/regions';
import { DEFAULT_CLIENT, type LwaEmulator, startLwaEmulator } from '../test/emulators/lwa';
import { applyAwsEnv } from '../test/support/aws-test-env';
import { deployToEmulators, type EmulatedDeployment } from '../test/support/emulated-deployment';
import { startMotoServer } from '../test/support/moto-server';
import { ensureMotoVenv } from '../test/support/python-venv';
import { LocalClientSecretRotation, readClientSecretStatus } from './client-secret-rotation';
import { clockTime, EVENT_LABELS, EventFeed, eventFromLog, LogInterceptor } from './events';
import {
  loadApiRoutes,
  loadRefreshHandler,
  loadRotationHandler,
  REFRESH_TIMEOUT_MS,
  type RefreshHandler,
} from './functions';
import { lambdaContext } from './lambda-context';
import { HOST, LocalServer } from './local-server';
import type { LocalRunOptions } from './options';
import { ensurePortFree, PortInUseError } from './ports';
import { RefreshSchedule } from './refresh-schedule';
import { readSellerStatus, refreshedBetween, type SellerStatusRow } from './seller-status';

/** The status page's "Send the expiry notice" button posts here. */
export const CLIENT_SECRET_EXPIRY_ACTION = '/local/client-secret-expiry-notice';

export interface LocalRun {
  /** `http://localhost:<port>`: the API and the status page. */
  readonly url: string;
  /** The LWA emulator's base URL; undefined with the real LWA. */
  readonly lwaUrl?: string;
  readonly moto: { readonly endpoint: string; readonly pid: number };
  readonly deployment: EmulatedDeployment;
  /** Stops the schedule (after its run in progress), the servers and moto, in that order. */
  stop(): Promise<void>;
}

export interface LocalRunHooks {
  /** Progress while starting, one line at a time. */
  readonly progress: (line: string) => void;
  /** Aborts a start in progress; whatever was started is stopped before startLocalRun rejects. */
  readonly signal?: AbortSignal;
}

/**
 * Brings up what `cdk deploy` would, on loopback: AWS in moto, LWA (the emulator, or Amazon's with
 * --real-lwa), the real route handlers behind a local HTTP server, and the real refresh handler
 * on a timer. Only glue lives here; every decision is the handlers'.
 */
export async function startLocalRun(options: LocalRunOptions, hooks: LocalRunHooks): Promise<LocalRun> {
  const cleanup: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Keep going: every later step still has a process or port to release.
      }
    }
  };
  const checkpoint = (): void => hooks.signal?.throwIfAborted();
  const { lwa } = options;

  try {
    // Ports first: a taken port should fail in a second, not after moto and the venv.
    if (lwa.kind === 'emulator')
      await ensurePortFree(options.lwaPort, HOST, '--lwa-port', 'LWA_PORT', 'the LWA emulator');
    await ensurePortFree(options.motoPort, HOST, '--moto-port', 'MOTO_PORT', 'moto, the AWS emulator');
    await ensurePortFree(options.port, HOST, '--port', 'PORT', 'the API and status page');

    const motoServer = await ensureMotoVenv({ log: hooks.progress });
    checkpoint();
    const moto = await startMotoServer({ motoServer, port: options.motoPort || undefined }).catch((error) => {
      throw /address already in use/i.test(String(error))
        ? new PortInUseError(options.motoPort, '--moto-port', 'MOTO_PORT', 'moto, the AWS emulator')
        : error;
    });
    cleanup.push(() => moto.stop());
    hooks.progress(`  moto (AWS emulator)   ${moto.endpoint}  pid ${moto.pid}`);
    checkpoint();
    // Every SDK client (the handlers' too) reaches moto through AWS_ENDPOINT_URL, never real AWS.
    applyAwsEnv(moto.endpoint);
    // The SDK's notice that its 2027 releases need Node 22 is about the developer's Node, not this
    // run; `npm test` still shows it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

    let emulator: LwaEmulator | undefined;
    // The emulated client secret expires in 40 days, so the status page has an expiry to show.
    const clientSecretExpiresAt = Date.now() + 40 * 86_400_000;
    if (lwa.kind === 'emulator') {
      emulator = await startLwaEmulator({
        clients: [{ ...DEFAULT_CLIENT, clientSecretExpiresAt }],
        port: options.lwaPort,
        expiresIn: lwa.expiresInSeconds,
        rotation: lwa.rotation,
      }).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EADDRINUSE'
          ? new PortInUseError(options.lwaPort, '--lwa-port', 'LWA_PORT', 'the LWA emulator')
          : error;
      });
      const started = emulator;
      cleanup.push(() => started.stop());
      hooks.progress(
        `  LWA emulator          ${emulator.url}  access tokens live ${lwa.expiresInSeconds} s, ` +
          `refresh tokens rotate ${lwa.rotation === 'never' ? 'never' : 'on every refresh'}`,
      );
    }
    checkpoint();

    const deployment = await deployToEmulators({
      // With the real LWA, handlerEnvironment() replaces this with Amazon's per-region hosts.
      lwaUrl: emulator?.url ?? DEFAULT_LWA_ENDPOINTS.NA,
      namePrefix: 'local',
      ...(lwa.kind === 'real'
        ? {
            clientId: lwa.credentials.clientId,
            clientSecret: lwa.credentials.clientSecret,
            draft: lwa.credentials.draft,
            extraAppSecretFields: { applicationId: lwa.credentials.applicationId },
          }
        : { extraAppSecretFields: { clientSecretExpiresAt: new Date(clientSecretExpiresAt).toISOString() } }),
    });
    cleanup.push(() => {
      deployment.documentClient.destroy();
      deployment.secretsManager.destroy();
    });
    hooks.progress(
      `  resources in moto     sellers table ${deployment.sellerTableName} (index byRegion), state table, KMS key, app secret`,
    );
    checkpoint();

    // Amazon's side of a client-secret rotation, with the LWA emulator only: a real app's secret
    // is not rotated from a laptop.
    let rotation: LocalClientSecretRotation | undefined;
    if (emulator) {
      const started = await LocalClientSecretRotation.start(emulator, deployment);
      rotation = started;
      cleanup.push(() => started.stop());
      hooks.progress(
        `  SP-API emulator       ${started.spApiUrl}  rotates the client secret; notifications through a moto SQS queue`,
      );
    }
    checkpoint();

    Object.assign(process.env, handlerEnvironment(options, deployment, emulator), rotation?.env);
    // Events go to the real stdout; the handlers' own lines are read off it from here on.
    const stdout = process.stdout.write.bind(process.stdout);
    const feed = new EventFeed((line) => stdout(`${line}\n`));
    const interceptor = new LogInterceptor((entry) => {
      const event = eventFromLog(entry);
      if (event) feed.add(event);
    }, options.verbose);
    interceptor.install();
    cleanup.push(() => interceptor.uninstall());

    const routes = loadApiRoutes();
    const refresh = loadRefreshHandler();
    const rotationHandler = rotation ? loadRotationHandler() : undefined;
    const readStatus = () => readSellerStatus(deployment.documentClient, deployment.sellerTableName);
    const server = new LocalServer({
      routes,
      status: async () => ({
        now: Date.now() / 1000,
        lwa:
          lwa.kind === 'emulator'
            ? { kind: 'emulator', expiresInSeconds: lwa.expiresInSeconds, rotation: lwa.rotation }
            : { kind: 'real' },
        refreshEverySeconds: options.refreshEverySeconds,
        sellers: await readStatus(),
        clientSecret: {
          ...(await readClientSecretStatus(deployment.secretsManager, deployment.appSecretId)),
          canRotate: rotation !== undefined,
        },
        events: feed.latest().map((event) => ({ ...event, label: EVENT_LABELS[event.kind] })),
      }),
      onHandlerError: (route, error) =>
        feed.add({ kind: 'failure', text: `${route.functionName} handler threw ${errorName(error)}` }),
      actions: rotation
        ? {
            [CLIENT_SECRET_EXPIRY_ACTION]: async () => {
              await rotation.sendExpiryNotice();
              feed.add({
                kind: 'client-secret',
                text: 'APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY sent to the local notification queue',
              });
            },
          }
        : {},
    });
    await server.listen(options.port);
    cleanup.push(() => server.close());
    const callbackUrl = options.redirectUri ?? `${server.url}/callback`;
    emulator?.setConsentCallbackUrl(callbackUrl);
    hooks.progress(
      `  API + status page     ${server.url}  (/authorize, /login, /callback → the real handlers)`,
    );

    const schedule = new RefreshSchedule(
      () => refreshTick(refresh, readStatus, feed),
      options.refreshEverySeconds * 1000,
    );
    schedule.start();
    cleanup.push(() => schedule.stop());
    hooks.progress(`  refresh schedule      the refresh handler runs every ${options.refreshEverySeconds} s`);
    if (rotation && rotationHandler) {
      const queue = rotation;
      // Stands in for the event source mapping, which long-polls the queue.
      const poller = new RefreshSchedule(async () => {
        try {
          await queue.deliver(rotationHandler);
        } catch (error) {
          feed.add({ kind: 'failure', text: `notification delivery failed: ${errorName(error)}` });
        }
      }, 1000);
      poller.start();
      cleanup.push(() => poller.stop());
      hooks.progress('  notification queue    the rotation handler gets its messages within a second');
    }
    if (lwa.kind === 'real') {
      hooks.progress(
        `  real LWA              credentials from ${lwa.credentialsSource}; your app's OAuth redirect URI must be ${callbackUrl}`,
      );
    }
    checkpoint();

    return { url: server.url, lwaUrl: emulator?.url, moto, deployment, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What the constructs would set on the functions, pointed at moto and the chosen LWA. */
export function handlerEnvironment(
  options: LocalRunOptions,
  deployment: EmulatedDeployment,
  emulator: LwaEmulator | undefined,
): Record<string, string> {
  const env: Record<string, string> = {
    ...deployment.env,
    POWERTOOLS_SERVICE_NAME: 'lwa-token-service-local',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // Refreshes every minute or so are the point of the local run (120 s tokens). Its secrets live
    // in moto, which has no version quota, so the 10-minute floor between writes is lifted.
    MIN_SECRET_WRITE_INTERVAL_SECONDS: '0',
  };
  if (emulator) {
    // Every region's consent page is the emulator's, as every region's LWA is.
    env.SELLER_CENTRAL_URLS = JSON.stringify(Object.fromEntries(REGIONS.map((r) => [r, emulator.url])));
  } else if (options.lwa.kind === 'real') {
    env.LWA_ENDPOINTS = options.lwa.lwaEndpoints ?? JSON.stringify(DEFAULT_LWA_ENDPOINTS);
  }
  if (options.redirectUri) env.REDIRECT_URI = options.redirectUri;
  return env;
}

/** One scheduled invocation, and the events it caused, read from the table it changed. */
async function refreshTick(
  refresh: RefreshHandler,
  readStatus: () => Promise<SellerStatusRow[]>,
  feed: EventFeed,
): Promise<void> {
  try {
    const before = await readStatus();
    const summary = await refresh({}, lambdaContext('refresh', REFRESH_TIMEOUT_MS));
    const refreshed = refreshedBetween(before, await readStatus());
    for (const row of refreshed) {
      const expires =
        row.accessTokenExpiresAt === undefined ? '' : clockTime(row.accessTokenExpiresAt * 1000);
      const next =
        row.nextRefreshAt === undefined ? '' : `, next refresh ~${clockTime(row.nextRefreshAt * 1000)}`;
      feed.add({
        kind: 'refreshed',
        text: `${row.sellerId} (${row.region}): new access token expires ${expires}${next}`,
      });
    }
    if (summary.rotationsStored > 0) {
      const whom =
        summary.rotationsStored === refreshed.length
          ? refreshed.map((row) => `${row.sellerId} (${row.region})`).join(', ')
          : `${summary.rotationsStored} seller(s)`;
      feed.add({
        kind: 'rotation',
        text: `${whom}: LWA returned a new refresh token; it was written to Secrets Manager before anything else (the previous one stays in AWSPREVIOUS)`,
      });
    }
  } catch (error) {
    feed.add({ kind: 'failure', text: `refresh run failed: ${errorName(error)}` });
  }
}
