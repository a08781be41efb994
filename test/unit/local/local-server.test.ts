import { request } from 'node:http';
import type { ApiRoute } from '../../../local/api-gateway';
import { LocalServer } from '../../../local/local-server';

// The local stand-in for API Gateway: its own answers carry the API's security headers, and a
// request as long as the handlers' size limits allow reaches the handler.

const echoQueryLength: ApiRoute = {
  method: 'GET',
  path: '/authorize',
  functionName: 'authorize',
  timeoutMs: 1000,
  handler: async (event) => ({
    statusCode: 400,
    headers: { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
    body: String(event.queryStringParameters?.region?.length ?? 0),
  }),
};

let server: LocalServer;
let port: number;

beforeAll(async () => {
  server = new LocalServer({ routes: [echoQueryLength], status: async () => ({}), onHandlerError: () => {} });
  port = await server.listen(0);
});

afterAll(() => server.close());

function send(
  method: string,
  path: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test.each([
  ['TRACE', '/authorize', 405],
  ['GET', '/no-such-route', 404],
  ['POST', '/no-such-route', 404],
])(
  '%s %s answers %i with Cache-Control: no-store and Referrer-Policy: no-referrer',
  async (method, path, status) => {
    const response = await send(method, path);
    expect(response.status).toBe(status);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  },
);

test('a query of 2049 four-byte characters (percent-encoded, ~25 KB) reaches the handler, which applies its own limit', async () => {
  const oversized = encodeURIComponent('\u{1F600}'.repeat(2049));
  const response = await send('GET', `/authorize?region=${oversized}`);
  expect(response.status).toBe(400);
  expect(response.body).toBe(String('\u{1F600}'.repeat(2049).length));
});
