import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultResponse = 'throttle' | 'internal-error' | 'service-unavailable' | 'reset';

export interface FaultRule {
  /**
   * Matched against the X-Amz-Target header: either exactly
   * ('secretsmanager.PutSecretValue', 'DynamoDB_20120810.UpdateItem') or by
   * the part after the last '.' ('PutSecretValue').
   */
  operation: string;
  /** How many matching requests fail before requests pass through again. */
  times?: number;
  /**
   * Instead of a count: every matching request fails for this long in wall time, counted from
   * the first one this rule fails (a throttling burst by another writer in the account).
   */
  forMs?: number;
  /** Match only requests whose body contains this text, e.g. one secret's name. */
  bodyIncludes?: string;
  response: FaultResponse;
}

export interface RecordedRequest {
  /** X-Amz-Target, or 'METHOD /path' for protocols without one. */
  operation: string;
  /** Complete once the request body has arrived, i.e. by the time the client sees a response. */
  body: string;
  /** Status sent to the client; 0 for 'reset' or a request still in flight. */
  status: number;
  /** The fault injected, if any. */
  fault?: FaultResponse;
}

export interface FaultProxy {
  /** e.g. http://127.0.0.1:40123; use as a client's `endpoint`. */
  url: string;
  failNext(rule: FaultRule): void;
  /** Requests seen per operation, faulted ones included. */
  counts(): Record<string, number>;
  /** Every request in arrival order (empty when started with record: false). */
  requests: RecordedRequest[];
  /** Forgets counts, recorded requests and pending rules. */
  reset(): void;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /**
   * Keep bodies in `requests`. Benchmarks pushing many requests through the
   * proxy only need counts() and should turn this off to keep memory flat.
   */
  record?: boolean;
}

interface PendingRule extends FaultRule {
  remaining: number;
  /** Wall-clock ms when a `forMs` rule first failed a request. */
  startedAt?: number;
}

// Hop-by-hop headers describe one connection, not the message; Node's HTTP
// client manages its own upstream connection.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'trailer']);

export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const record = options.record ?? true;
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:')
    throw new Error(`fault proxy only forwards to http:// targets, got ${target}`);
  const agent = new http.Agent({ keepAlive: true });
  const targetHost = upstream.host;
  const basePath = upstream.pathname.replace(/\/$/, '');

  let counts: Record<string, number> = {};
  let rules: PendingRule[] = [];
  const requests: RecordedRequest[] = [];

  const takeFault = (target: string | undefined, body: string): FaultResponse | undefined => {
    if (!target || rules.length === 0) return undefined;
    const now = Date.now();
    // A time-boxed rule whose window has closed is done.
    rules = rules.filter(
      (r) => r.forMs === undefined || r.startedAt === undefined || now - r.startedAt < r.forMs,
    );
    const rule = rules.find(
      (r) =>
        r.remaining > 0 &&
        matches(r.operation, target) &&
        (r.bodyIncludes === undefined || body.includes(r.bodyIncludes)),
    );
    if (!rule) return undefined;
    if (rule.forMs !== undefined) {
      rule.startedAt ??= now;
      return rule.response;
    }
    rule.remaining--;
    if (rule.remaining === 0) rules = rules.filter((r) => r !== rule);
    return rule.response;
  };

  const server = http.createServer((req, res) => {
    const amzTarget = header(req, 'x-amz-target');
    const operation = amzTarget ?? `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    counts[operation] = (counts[operation] ?? 0) + 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    // The whole request is read before the fault is decided, as a real service would: a rule may
    // match on the body, and the client is then unambiguously waiting for a response.
    req.on('end', () => {
      const requestBody = Buffer.concat(chunks);
      handle(req, res, amzTarget, operation, requestBody);
    });
  });

  const handle = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    amzTarget: string | undefined,
    operation: string,
    requestBody: Buffer,
  ): void => {
    const bodyText = requestBody.toString('utf8');
    const fault = takeFault(amzTarget, bodyText);
    const entry: RecordedRequest = { operation, body: '', status: 0, ...(fault ? { fault } : {}) };
    if (record) {
      entry.body = bodyText;
      requests.push(entry);
    }

    if (fault) {
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      const { status, body } = faultResponse(fault, amzTarget ?? '');
      entry.status = status;
      res.writeHead(status, {
        'content-type': header(req, 'content-type') ?? 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(body),
        'x-amzn-requestid': `fault-proxy-${requests.length}`,
      });
      res.end(body);
      return;
    }

    const headers: string[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) continue;
      headers.push(name, lower === 'host' ? targetHost : (req.rawHeaders[i + 1] as string));
    }
    const upstreamReq = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: basePath + (req.url ?? '/'),
        headers,
        agent,
      },
      (upstreamRes) => {
        entry.status = upstreamRes.statusCode ?? 0;
        const resHeaders: string[] = [];
        for (let i = 0; i + 1 < upstreamRes.rawHeaders.length; i += 2) {
          const name = upstreamRes.rawHeaders[i] as string;
          if (HOP_BY_HOP.has(name.toLowerCase())) continue;
          resHeaders.push(name, upstreamRes.rawHeaders[i + 1] as string);
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, resHeaders);
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
      },
    );
    upstreamReq.on('error', (err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      entry.status = 502;
      const body = `fault proxy: upstream ${target} failed: ${err.message}`;
      res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    // A client that gives up (SDK timeout) must not leave the upstream request dangling.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    upstreamReq.end(requestBody);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(rule) {
      if (rule.forMs !== undefined) {
        if (!(rule.forMs > 0) || rule.times !== undefined) {
          throw new Error(`failNext: forMs must be positive and exclusive of times, got ${rule.forMs}`);
        }
        rules.push({ ...rule, remaining: Number.POSITIVE_INFINITY });
        return;
      }
      if (rule.times === undefined || !Number.isInteger(rule.times) || rule.times < 1) {
        throw new Error(`failNext: times must be a positive integer, got ${rule.times}`);
      }
      rules.push({ ...rule, remaining: rule.times });
    },
    counts: () => ({ ...counts }),
    reset() {
      counts = {};
      rules = [];
      requests.length = 0;
    },
    stop() {
      agent.destroy();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections from SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      });
    },
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function matches(ruleOperation: string, amzTarget: string): boolean {
  if (ruleOperation === amzTarget) return true;
  return !ruleOperation.includes('.') && amzTarget.slice(amzTarget.lastIndexOf('.') + 1) === ruleOperation;
}

/**
 * Error bodies in the awsJson protocols' shape. The SDK takes the error name
 * from __type (dropping any 'namespace#' prefix) and classifies retries by that
 * name and the status code, so these must look like what the real services send.
 */
function faultResponse(
  fault: Exclude<FaultResponse, 'reset'>,
  amzTarget: string,
): { status: number; body: string } {
  // DynamoDB qualifies error types with its Coral namespace; Secrets Manager does not.
  const dynamo = amzTarget.startsWith('DynamoDB_');
  const type = (name: string) => (dynamo ? `com.amazonaws.dynamodb.v20120810#${name}` : name);
  switch (fault) {
    case 'throttle':
      return {
        status: 400,
        body: JSON.stringify({ __type: type('ThrottlingException'), message: 'Rate exceeded' }),
      };
    case 'internal-error':
      return {
        status: 500,
        body: JSON.stringify({
          __type: type(dynamo ? 'InternalServerError' : 'InternalServiceError'),
          message: 'Internal server error',
        }),
      };
    case 'service-unavailable':
      return {
        status: 503,
        body: JSON.stringify({ __type: type('ServiceUnavailable'), message: 'Service Unavailable' }),
      };
  }
}
