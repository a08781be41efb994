/**
 * The HTTP layer: LWA endpoints, Seller Central's consent page, fault injection, and a JSON
 * control interface under `/__emulator/`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  answerConsent,
  CONSENT_PATH,
  type ConsentReply,
  errorPage,
  SAMPLE_SELLER_IDS,
  showConsent,
} from './consent';
import { CODEPAIR_PATH, LwaCore, oauthError, type Params, type Reply, TOKEN_PATH } from './emulator';
import { FaultQueue, faultReply } from './faults';
import type {
  LwaEmulator,
  LwaEmulatorOptions,
  LwaFault,
  LwaHold,
  LwaHoldMatch,
  LwaRequestLogEntry,
  LwaRotation,
} from './types';

interface ArmedHold {
  readonly match: LwaHoldMatch;
  readonly arrive: () => void;
  readonly released: Promise<void>;
  readonly release: () => void;
}

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 64 * 1024;
const CONTROL_PREFIX = '/__emulator';

/** Client input we refuse; answered with 400 rather than treated as an emulator bug. */
class BadRequest extends Error {}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Keep draining past the limit so the client gets the 400 instead of a reset connection.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw new BadRequest('request body is too large');
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(raw: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new BadRequest('body is not valid JSON');
  }
  if (!isRecord(parsed)) throw new BadRequest('JSON body must be an object');
  return parsed;
}

/** LWA takes form-encoded parameters; its docs also show JSON bodies, so both are accepted. */
function parseParams(contentType: string | undefined, raw: string): Params {
  const params = new Map<string, string>();
  const type = (contentType ?? 'application/x-www-form-urlencoded').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    for (const [k, v] of Object.entries(parseJsonObject(raw))) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params.set(k, String(v));
      else if (v !== null) throw new BadRequest(`${k} must be a string`);
    }
    return params;
  }
  if (type !== 'application/x-www-form-urlencoded') throw new BadRequest(`unsupported content type ${type}`);
  for (const [k, v] of new URLSearchParams(raw)) {
    // RFC 6749 §3.2: parameters must not be repeated; accepting them would hide client bugs.
    if (params.has(k)) throw new BadRequest(`${k} is repeated`);
    params.set(k, v);
  }
  return params;
}

function send(res: ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    ...reply.headers,
  });
  res.end(body);
}

function sendConsent(res: ServerResponse, reply: ConsentReply): void {
  const headers = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
  if (reply.kind === 'redirect') {
    res.writeHead(302, { ...headers, Location: reply.location, 'Content-Length': 0 });
    res.end();
    return;
  }
  res.writeHead(reply.status, {
    ...headers,
    'Content-Type': 'text/html;charset=UTF-8',
    'Content-Length': Buffer.byteLength(reply.html),
    // No form-action: the consent form's answer redirects to the app, on another origin.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(reply.html);
}

function callbackUrl(value: string): string {
  if (!/^https?:\/\/\S+$/.test(value)) {
    throw new BadRequest('callbackUrl must be an absolute http(s) URL');
  }
  return new URL(value).toString();
}

function ok(body: Record<string, unknown> = { ok: true }): Reply {
  return { status: 200, body };
}

function requireString(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new BadRequest(`${key} must be a non-empty string`);
  return v;
}

const DEVICE_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>LWA emulator</title></head>
<body><h1>Login with Amazon emulator</h1><p>Approve a device code with
<code>POST /__emulator/devices/{userCode}/approve</code> or <code>approveDevice()</code>.</p></body></html>`;

export class LwaEmulatorServer implements LwaEmulator {
  private readonly core: LwaCore;
  private readonly faults = new FaultQueue();
  private holds: ArmedHold[] = [];
  private readonly log: LwaRequestLogEntry[] = [];
  private readonly sockets = new Set<Socket>();
  // Pending latency timers with their wake-ups, so stop() never waits for one.
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly server: Server;
  private readonly sampleSellerIds: readonly string[];
  private consentCallbackUrl: string | undefined;
  private baseUrl = '';
  private stopped = false;

  constructor(opts: LwaEmulatorOptions = {}) {
    this.core = new LwaCore(opts, opts.now ?? Date.now);
    this.sampleSellerIds = opts.sampleSellerIds ?? SAMPLE_SELLER_IDS;
    if (opts.consentCallbackUrl !== undefined) this.setConsentCallbackUrl(opts.consentCallbackUrl);
    this.server = createServer((req, res) => {
      this.route(req, res).catch(() => {
        // A client that went away mid-request lands here too; only answer if it can still hear us.
        if (!res.headersSent && !res.destroyed) send(res, oauthError('server_error', 'emulator error'));
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

  get requests(): ReadonlyArray<Readonly<LwaRequestLogEntry>> {
    return this.log;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const hold of this.holds) hold.release();
    this.holds = [];
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Hung requests and idle keep-alive connections would otherwise hold close() open forever.
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  issueAuthorizationCode(input: { sellerId: string; clientId?: string }): string {
    return this.core.issueAuthorizationCode(input);
  }
  setExpiresIn(seconds: number): void {
    this.core.setExpiresIn(seconds);
  }
  setRotation(mode: LwaRotation): void {
    this.core.setRotation(mode);
  }
  revokeRefreshTokens(subject: string): void {
    this.core.revokeRefreshTokens(subject);
  }
  approveDevice(userCode: string): void {
    this.core.approveDevice(userCode);
  }
  denyDevice(userCode: string): void {
    this.core.denyDevice(userCode);
  }
  setConsentCallbackUrl(url: string): void {
    this.consentCallbackUrl = callbackUrl(url);
  }
  injectFault(fault: LwaFault): void {
    this.faults.add(fault);
  }
  hold(match: LwaHoldMatch): LwaHold {
    let arrive = (): void => {};
    let release = (): void => {};
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.push({ match, arrive, released, release });
    return { arrived, release };
  }
  clearFaults(): void {
    this.faults.clear();
  }
  issuedSecrets(): string[] {
    return this.core.issuedSecrets();
  }

  isAccessTokenValid(token: string): boolean {
    return this.core.isAccessTokenValid(token);
  }
  introspectAccessToken(token: string): { active: boolean; clientId?: string; scope?: string } {
    return this.core.introspectAccessToken(token);
  }
  rotateClientSecret(
    input?: Parameters<LwaCore['rotateClientSecret']>[0],
  ): ReturnType<LwaCore['rotateClientSecret']> {
    return this.core.rotateClientSecret(input);
  }
  clientSecrets(): string[] {
    return this.core.clientSecrets();
  }
  clientSecretExpiries(clientId?: string): { currentExpiresAt?: number; previousExpiresAt?: number } {
    return this.core.clientSecretExpiries(clientId);
  }
  isRefreshTokenValid(token: string): boolean {
    return this.core.isRefreshTokenValid(token);
  }
  currentRefreshToken(subject: string): string | undefined {
    return this.core.currentRefreshToken(subject);
  }
  callCount(grantType?: string): number {
    return this.log.filter(
      (e) => e.path === TOKEN_PATH && (grantType === undefined || e.grantType === grantType),
    ).length;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.baseUrl || `http://${HOST}`).pathname;
    if (path === TOKEN_PATH || path === CODEPAIR_PATH) return this.handleLwa(req, res, path);
    if (path.startsWith(`${CONTROL_PREFIX}/`))
      return this.handleControl(req, res, path.slice(CONTROL_PREFIX.length));
    if (path === CONSENT_PATH) return this.handleConsent(req, res);
    req.resume();
    if (path === '/device' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/html;charset=UTF-8', 'Cache-Control': 'no-store' });
      res.end(DEVICE_PAGE);
      return;
    }
    send(res, {
      status: 404,
      body: { error: 'not_found', error_description: `no route for ${req.method} ${path}` },
    });
  }

  private async handleConsent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const config = { callbackUrl: this.consentCallbackUrl, sampleSellerIds: this.sampleSellerIds };
    if (req.method === 'GET') {
      req.resume();
      const query = new URL(req.url ?? '/', this.baseUrl || `http://${HOST}`).searchParams;
      return sendConsent(res, showConsent(config, query));
    }
    if (req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { Allow: 'GET, POST', 'Content-Length': 0 });
      res.end();
      return;
    }
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readBody(req));
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      return sendConsent(res, errorPage(400, err.message));
    }
    sendConsent(
      res,
      answerConsent(config, form, (sellerId) => this.core.issueAuthorizationCode({ sellerId })),
    );
  }

  private async handleLwa(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'POST') {
      req.resume();
      return send(res, {
        ...oauthError('invalid_request', 'use POST'),
        status: 405,
        headers: { Allow: 'POST' },
      });
    }
    const at = this.core.now();
    let params: Params | undefined;
    let badRequest: string | undefined;
    try {
      params = parseParams(req.headers['content-type'], await readBody(req));
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      badRequest = err.message;
    }
    // Parse before faults: faults match on grant type and subject, which live in the body.
    const grantType = path === TOKEN_PATH ? params?.get('grant_type') || undefined : undefined;
    const subject = params && this.core.subjectOf(path, params);
    const clientSecretUsed = params && this.core.clientSecretUsed(params);
    const entry: LwaRequestLogEntry = {
      path,
      ...(grantType && { grantType }),
      ...(subject && { subject }),
      ...(clientSecretUsed && { clientSecretUsed }),
      status: 0,
      at,
    };
    this.log.push(entry);

    const fault = this.faults.take(entry);
    if (fault?.kind === 'hang') return; // stop() destroys the socket
    if (fault?.kind === 'latency' && !(await this.sleep(fault.ms))) return;
    const hold = this.takeHold(entry);
    if (hold?.match.phase === 'before-validation') {
      hold.arrive();
      await hold.released;
    }
    let reply: Reply;
    if (fault?.kind === 'status' || fault?.kind === 'oauth-error') reply = faultReply(fault);
    else if (!params) reply = oauthError('invalid_request', badRequest ?? 'bad request');
    else if (path === TOKEN_PATH) reply = this.core.token(params);
    else reply = this.core.codepair(params, `${this.baseUrl}/device`);
    if (hold?.match.phase === 'after-validation') {
      hold.arrive();
      await hold.released;
    }
    if (fault?.kind === 'drop-fields' && reply.status < 300) {
      const dropped = new Set<string>(fault.fields);
      reply = {
        ...reply,
        body: Object.fromEntries(Object.entries(reply.body).filter(([k]) => !dropped.has(k))),
      };
    }
    entry.status = reply.status;
    send(res, reply);
  }

  private takeHold(entry: LwaRequestLogEntry): ArmedHold | undefined {
    const index = this.holds.findIndex(
      ({ match: m }) =>
        (m.path === undefined || m.path === entry.path) &&
        (m.grantType === undefined || m.grantType === entry.grantType) &&
        (m.subject === undefined || m.subject === entry.subject),
    );
    const [hold] = index < 0 ? [] : this.holds.splice(index, 1);
    return hold;
  }

  /** Real-time delay of at least `ms` (timers may fire a little early); false if stopped meanwhile. */
  private async sleep(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    for (let left = ms; left > 0 && !this.stopped; left = deadline - performance.now()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, Math.ceil(left));
        this.timers.set(timer, resolve);
      });
    }
    return !this.stopped;
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    let reply: Reply;
    try {
      const raw = await readBody(req);
      reply = this.control(req.method ?? 'GET', route, raw.trim() ? parseJsonObject(raw) : {});
    } catch (err) {
      // Control callers are tests; bad input (unknown user code, bad fault) is their error, so a 400 with why.
      reply = oauthError('invalid_request', err instanceof Error ? err.message : String(err));
    }
    send(res, reply);
  }

  private control(method: string, route: string, body: Record<string, unknown>): Reply {
    const device = /^\/devices\/([^/]+)\/(approve|deny)$/.exec(route);
    if (method === 'POST' && device) {
      const userCode = decodeURIComponent(device[1] ?? '');
      if (device[2] === 'approve') this.approveDevice(userCode);
      else this.denyDevice(userCode);
      return ok();
    }
    switch (`${method} ${route}`) {
      case 'POST /authorization-codes': {
        const clientId = body.clientId === undefined ? undefined : requireString(body, 'clientId');
        return ok({
          code: this.issueAuthorizationCode({ sellerId: requireString(body, 'sellerId'), clientId }),
        });
      }
      case 'POST /faults':
        this.injectFault(body as unknown as LwaFault);
        return ok({ pendingFaults: this.faults.pending });
      case 'DELETE /faults':
        this.clearFaults();
        return ok({ pendingFaults: 0 });
      case 'GET /config':
        return ok(this.core.config());
      case 'POST /config': {
        const { expiresIn, rotation } = body;
        if (rotation !== undefined && rotation !== 'never' && rotation !== 'every-refresh') {
          throw new BadRequest("rotation must be 'never' or 'every-refresh'");
        }
        if (expiresIn !== undefined) this.setExpiresIn(expiresIn as number); // validated there
        if (rotation !== undefined) this.setRotation(rotation);
        return ok(this.core.config());
      }
      case 'POST /revocations':
        this.revokeRefreshTokens(requireString(body, 'subject'));
        return ok();
      case 'POST /tokens/introspect': {
        const token = requireString(body, 'token');
        const access = this.introspectAccessToken(token);
        return ok({
          accessTokenValid: access.active,
          refreshTokenValid: this.isRefreshTokenValid(token),
          ...(access.scope ? { scope: access.scope } : {}),
        });
      }
      case 'POST /client-secrets/rotate': {
        // Test control only: the answer carries the new secret, as Amazon's notification would.
        const days = body.oldSecretValidForDays;
        if (days !== undefined && (typeof days !== 'number' || days < 0)) {
          throw new BadRequest('oldSecretValidForDays must be a non-negative number');
        }
        const rotation = this.rotateClientSecret({
          clientId: body.clientId === undefined ? undefined : requireString(body, 'clientId'),
          oldSecretValidForMs: days === undefined ? undefined : days * 86_400_000,
        });
        return ok({ ...rotation });
      }
      case 'GET /consent':
        return ok({ callbackUrl: this.consentCallbackUrl ?? null, sampleSellerIds: this.sampleSellerIds });
      case 'POST /consent':
        this.setConsentCallbackUrl(requireString(body, 'callbackUrl'));
        return ok({ callbackUrl: this.consentCallbackUrl ?? null, sampleSellerIds: this.sampleSellerIds });
      case 'GET /stats':
        return ok(this.stats());
      case 'GET /requests':
        return ok({ requests: this.log });
      default:
        return {
          status: 404,
          body: { error: 'not_found', error_description: `no control route ${method} ${route}` },
        };
    }
  }

  private stats(): Record<string, unknown> {
    const byGrantType: Record<string, number> = {};
    for (const e of this.log) {
      if (e.path !== TOKEN_PATH) continue;
      const key = e.grantType ?? '(none)';
      byGrantType[key] = (byGrantType[key] ?? 0) + 1;
    }
    return {
      token: { total: this.callCount(), byGrantType },
      codepair: { total: this.log.filter((e) => e.path === CODEPAIR_PATH).length },
      pendingFaults: this.faults.pending,
    };
  }
}

export async function startLwaEmulator(opts: LwaEmulatorOptions = {}): Promise<LwaEmulator> {
  const emulator = new LwaEmulatorServer(opts);
  await emulator.listen(opts.port ?? 0);
  return emulator;
}
