/**
 * An emulator of SP-API's Application Management endpoint on loopback:
 * `POST /applications/2023-11-30/clientSecret`. Like Amazon it accepts only a live grantless
 * token of scope `sellingpartnerapi::client_credential:rotation` for the app's own client
 * (asking the LWA emulator), allows one rotation a minute, answers 204, and then delivers the
 * APPLICATION_OAUTH_CLIENT_NEW_SECRET notification to the registered SQS queue.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LwaEmulator } from '../lwa';
import { clientNewSecretNotification } from './notifications';

export const CLIENT_SECRET_PATH = '/applications/2023-11-30/clientSecret';
export const ROTATION_SCOPE = 'sellingpartnerapi::client_credential:rotation';
const HOST = '127.0.0.1';

export interface SpApiEmulatorOptions {
  /** Issues and introspects the tokens, and holds the client secret that is rotated. */
  readonly lwa: LwaEmulator;
  readonly clientId?: string;
  readonly applicationId?: string;
  /** Where the new-secret notification goes; unset, rotations answer 204 and notify nobody. */
  readonly notificationQueueUrl?: string;
  /** Default: a client built from the environment (AWS_ENDPOINT_URL points it at moto). */
  readonly sqs?: SQSClient;
  /** How long the old secret keeps working after a rotation; default 7 days. */
  readonly oldSecretValidForMs?: number;
  readonly now?: () => number;
  readonly port?: number;
}

export interface SpApiRequestLogEntry {
  readonly path: string;
  readonly method: string;
  /** The presented token's scope, when it was live; never the token. */
  readonly scope?: string;
  status: number;
  readonly at: number;
}

export class SpApiEmulator {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly log: SpApiRequestLogEntry[] = [];
  private readonly failures: number[] = [];
  private readonly now: () => number;
  private readonly sqs: SQSClient;
  private notificationQueueUrl: string | undefined;
  private lastRotationAt: number | undefined;
  private baseUrl = '';

  constructor(private readonly options: SpApiEmulatorOptions) {
    this.now = options.now ?? Date.now;
    this.sqs = options.sqs ?? new SQSClient({});
    this.notificationQueueUrl = options.notificationQueueUrl;
    this.server = createServer((req, res) => {
      this.route(req, res).catch(() => {
        if (!res.headersSent && !res.destroyed)
          this.send(res, 500, { errors: [{ code: 'InternalFailure' }] });
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, HOST, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.baseUrl = `http://${HOST}:${(this.server.address() as AddressInfo).port}`;
  }

  get url(): string {
    return this.baseUrl;
  }

  get requests(): ReadonlyArray<Readonly<SpApiRequestLogEntry>> {
    return this.log;
  }

  /** Successful rotations so far. */
  rotationCount(): number {
    return this.log.filter((e) => e.path === CLIENT_SECRET_PATH && e.status === 204).length;
  }

  setNotificationQueueUrl(url: string): void {
    this.notificationQueueUrl = url;
  }

  /** The next rotation requests are answered with these statuses (e.g. 429, 503, 403), in order. */
  failNext(...statuses: number[]): void {
    this.failures.push(...statuses);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    if (body === undefined) {
      res.writeHead(status, { 'Content-Length': 0 });
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const path = new URL(req.url ?? '/', `http://${HOST}`).pathname;
    const header = req.headers['x-amz-access-token'];
    const token = typeof header === 'string' ? header : '';
    const access = token ? this.options.lwa.introspectAccessToken(token) : { active: false };
    const entry: SpApiRequestLogEntry = {
      path,
      method: req.method ?? 'GET',
      ...(access.scope ? { scope: access.scope } : {}),
      status: 0,
      at: this.now(),
    };
    this.log.push(entry);
    const answer = (status: number, body?: unknown) => {
      entry.status = status;
      this.send(res, status, body);
    };
    if (path !== CLIENT_SECRET_PATH || req.method !== 'POST') {
      return answer(404, { errors: [{ code: 'NotFound', message: `no route for ${req.method} ${path}` }] });
    }
    const clientId = this.options.clientId ?? access.clientId;
    if (!access.active || access.scope !== ROTATION_SCOPE || access.clientId !== clientId) {
      return answer(403, {
        errors: [{ code: 'Unauthorized', message: 'Access to requested resource is denied.' }],
      });
    }
    const injected = this.failures.shift();
    if (injected !== undefined) {
      return answer(injected, { errors: [{ code: injected === 429 ? 'QuotaExceeded' : 'InternalFailure' }] });
    }
    const now = this.now();
    if (this.lastRotationAt !== undefined && now - this.lastRotationAt < 60_000) {
      return answer(429, { errors: [{ code: 'QuotaExceeded', message: 'one rotation a minute' }] });
    }
    this.lastRotationAt = now;
    const rotation = this.options.lwa.rotateClientSecret({
      clientId,
      oldSecretValidForMs: this.options.oldSecretValidForMs,
    });
    if (this.notificationQueueUrl) {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.notificationQueueUrl,
          MessageBody: clientNewSecretNotification({
            applicationId: this.options.applicationId ?? 'amzn1.sp.solution.emulator-app',
            now,
            clientId: rotation.clientId,
            newClientSecret: rotation.newClientSecret,
            newClientSecretExpiresAt: rotation.newClientSecretExpiresAt,
            oldClientSecretExpiresAt: rotation.oldClientSecretExpiresAt,
          }),
        }),
      );
    }
    answer(204);
  }
}

export async function startSpApiEmulator(options: SpApiEmulatorOptions): Promise<SpApiEmulator> {
  const emulator = new SpApiEmulator(options);
  await emulator.listen(options.port ?? 0);
  return emulator;
}
