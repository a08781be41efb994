import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context';

/** What Lambda invokes for an API Gateway REST proxy integration: the handlers' exported `handler`. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** One API Gateway method wired to one function, as `SellerAuthorizationApi` wires them. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** The resource path, e.g. `/callback`. */
  readonly path: string;
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly handler: ProxyHandler;
}

/** Where the local API pretends to be deployed; the callback derives its redirect_uri from this. */
export interface ApiEndpoint {
  /** `localhost:<port>`, the `requestContext.domainName` API Gateway would give its own domain. */
  readonly domainName: string;
  /** The stage name. Served at the root, as API Gateway serves a custom domain's base path mapping. */
  readonly stage: string;
}

const MAX_BODY_BYTES = 256 * 1024;

export class RequestTooLargeError extends Error {
  constructor() {
    super(`request body is larger than ${MAX_BODY_BYTES} bytes`);
    this.name = 'RequestTooLargeError';
  }
}

export function findRoute(
  routes: readonly ApiRoute[],
  method: string,
  path: string,
): ApiRoute | 'method-not-allowed' | undefined {
  const forPath = routes.filter((route) => matchPath(route.path, path) !== undefined);
  if (forPath.length === 0) return undefined;
  return forPath.find((route) => route.method === method) ?? 'method-not-allowed';
}

/**
 * Matches a resource template such as `/device/authorizations/{id}` against a request path, as
 * API Gateway does: a `{name}` segment matches one non-empty segment. Returns the path parameters.
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const expected = template.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [i, segment] of expected.entries()) {
    const value = actual[i] as string;
    const name = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (name) {
      if (value === '') return undefined;
      parameters[name] = decodeURIComponent(value);
    } else if (segment !== value) {
      return undefined;
    }
  }
  return parameters;
}

/** Invokes the route's handler with the event API Gateway would build and writes its result. */
export async function invokeRoute(
  route: ApiRoute,
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: ApiEndpoint,
): Promise<void> {
  const body = await readBody(req);
  const event = toProxyEvent(req, route, body, endpoint);
  const result = await route.handler(event, lambdaContext(route.functionName, route.timeoutMs));
  writeProxyResult(res, result);
}

/**
 * A REST API (v1) proxy event. API Gateway terminates TLS and adds `X-Forwarded-Proto`; here the
 * scheme is plain http, which `callbackUrlFor` honours, so the redirect_uri LWA sees is
 * `http://localhost:<port>/callback`.
 */
export function toProxyEvent(
  req: IncomingMessage,
  route: Pick<ApiRoute, 'path' | 'method'>,
  body: string | null,
  endpoint: ApiEndpoint,
): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', `http://${endpoint.domainName}`);
  const query = multiValueMap([...url.searchParams]);
  const rawHeaders: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    rawHeaders.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  }
  const forwarded: Array<[string, string]> = [
    ['X-Forwarded-Proto', 'http'],
    ['X-Forwarded-For', req.socket.remoteAddress ?? '127.0.0.1'],
    ['X-Forwarded-Port', endpoint.domainName.split(':')[1] ?? '80'],
  ];
  // Forwarding headers come from API Gateway, never from the client.
  const headers = multiValueMap([
    ...rawHeaders.filter(([name]) => !/^x-forwarded-/i.test(name)),
    ...forwarded,
  ]);
  const now = Date.now();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.count > 0 ? query.single : null,
    multiValueQueryStringParameters: query.count > 0 ? query.multi : null,
    pathParameters: pathParametersOf(route.path, url.pathname),
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: endpoint.domainName,
      domainPrefix: endpoint.domainName.split('.')[0],
      extendedRequestId: randomUUID(),
      httpMethod: route.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      // With the stage served at the root, the path as the client sent it is the stage path.
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.path,
      stage: endpoint.stage,
    },
  };
}

export function writeProxyResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
    res.setHeader(
      name,
      values.map((v) => String(v)),
    );
  }
  res.setHeader('Content-Length', body.length);
  res.writeHead(result.statusCode);
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RequestTooLargeError();
    chunks.push(chunk);
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

/** API Gateway's pair of maps: the last value of each name, and every value in order. */
function multiValueMap(pairs: ReadonlyArray<readonly [string, string]>): {
  single: Record<string, string>;
  multi: Record<string, string[]>;
  count: number;
} {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  return { single, multi, count: pairs.length };
}

function pathParametersOf(template: string, path: string): Record<string, string> | null {
  const parameters = matchPath(template, path);
  return parameters && Object.keys(parameters).length > 0 ? parameters : null;
}
