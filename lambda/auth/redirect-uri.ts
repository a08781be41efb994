import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * The callback URL LWA must see as `redirect_uri`. It is derived from the request that reached
 * this stage (API Gateway's own domain and stage path), unless an override is configured for a
 * custom domain. Deriving it avoids a deploy-time cycle between the API and its functions.
 */
export function callbackUrlFor(event: APIGatewayProxyEvent, override: string | undefined): string {
  if (override) return override;
  const headers = event.headers ?? {};
  const proto = headers['X-Forwarded-Proto'] ?? headers['x-forwarded-proto'] ?? 'https';
  const host = event.requestContext.domainName ?? headers.Host ?? headers.host;
  const stagePath = event.requestContext.path ?? event.path;
  const callbackPath = stagePath.replace(/\/[^/]*$/, '/callback');
  return `${proto === 'http' ? 'http' : 'https'}://${host}${callbackPath}`;
}
