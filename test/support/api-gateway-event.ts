import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * A REST API (v1) proxy event as API Gateway builds it for `GET <path>?<query>`, including the
 * multi-value map the handlers use to detect repeated parameters.
 */
export function apiGatewayEvent(
  path: string,
  query: string | Array<[string, string]> = [],
  options: { host?: string; stage?: string; proto?: string } = {},
): APIGatewayProxyEvent {
  const pairs = typeof query === 'string' ? [...new URLSearchParams(query).entries()] : query;
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of pairs) {
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  const host = options.host ?? 'abc123.execute-api.us-east-1.amazonaws.com';
  const stage = options.stage ?? 'prod';
  return {
    resource: path,
    path,
    httpMethod: 'GET',
    headers: { Host: host, 'X-Forwarded-Proto': options.proto ?? 'https' },
    multiValueHeaders: { Host: [host], 'X-Forwarded-Proto': [options.proto ?? 'https'] },
    queryStringParameters: pairs.length > 0 ? single : null,
    multiValueQueryStringParameters: pairs.length > 0 ? multi : null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      domainName: host,
      httpMethod: 'GET',
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${path}`,
      protocol: 'HTTP/1.1',
      requestId: 'test-request',
      requestTimeEpoch: 0,
      resourceId: 'r',
      resourcePath: path,
      stage,
    },
  };
}
