import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let target: http.Server;
let targetUrl: string;
let seen: Seen[];
let proxy: FaultProxy;

// Stands in for moto: echoes what it received, answers awsJson operations with
// a minimal success body, and can stream a chunked response.
beforeAll(async () => {
  target = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const amzTarget = req.headers['x-amz-target'];
      if (amzTarget === 'secretsmanager.PutSecretValue') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({ ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s', VersionId: 'v1' }),
        );
        return;
      }
      if (amzTarget === 'DynamoDB_20120810.UpdateItem') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
        return;
      }
      if (req.url === '/stream') {
        res.writeHead(201, { 'x-custom': 'yes' });
        res.write('part1-');
        setTimeout(() => res.end('part2'), 20);
        return;
      }
      res.writeHead(207, 'Multi', {
        'x-echo-method': req.method ?? '',
        'content-type': 'application/octet-stream',
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});

afterAll(async () => {
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

beforeEach(async () => {
  seen = [];
  proxy = await startFaultProxy(targetUrl);
});

afterEach(async () => {
  await proxy.stop();
});

interface Reply {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function send(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunks?: string[] } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${proxy.url}${path}`,
      { method: opts.method ?? 'POST', headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on('error', reject);
    if (opts.chunks) {
      // Written with pauses so the proxy really sees a streamed, chunked body.
      const rest = [...opts.chunks];
      const next = () => {
        const chunk = rest.shift();
        if (chunk === undefined) req.end();
        else {
          req.write(chunk);
          setTimeout(next, 10);
        }
      };
      next();
    } else {
      req.end(opts.body);
    }
  });
}

const smTarget = {
  'x-amz-target': 'secretsmanager.PutSecretValue',
  'content-type': 'application/x-amz-json-1.1',
};
const ddbTarget = {
  'x-amz-target': 'DynamoDB_20120810.UpdateItem',
  'content-type': 'application/x-amz-json-1.0',
};

describe('forwarding', () => {
  it('passes method, path, query, headers and a binary body through unchanged, rewriting only Host', async () => {
    const body = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0x80]);
    const reply = await send('/a/b?x=1&y=%2F', {
      method: 'PUT',
      headers: {
        'X-Custom-Header': 'v',
        'content-type': 'application/octet-stream',
        host: 'example.invalid',
      },
      body,
    });

    expect(reply.status).toBe(207);
    expect(reply.statusMessage).toBe('Multi');
    expect(reply.headers['x-echo-method']).toBe('PUT');
    expect(reply.body.equals(body)).toBe(true);
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('PUT');
    expect(request?.url).toBe('/a/b?x=1&y=%2F');
    expect(request?.headers['x-custom-header']).toBe('v');
    expect(request?.headers.host).toBe(new URL(targetUrl).host);
    expect(request?.body.equals(body)).toBe(true);
  });

  it('streams chunked request and response bodies', async () => {
    const reply = await send('/stream', { chunks: ['a', 'bb', 'ccc'] });

    expect(seen[0]?.headers['transfer-encoding']).toBe('chunked');
    expect(seen[0]?.body.toString()).toBe('abbccc');
    expect(reply.status).toBe(201);
    expect(reply.headers['x-custom']).toBe('yes');
    expect(reply.body.toString()).toBe('part1-part2');
  });

  it('answers 502 when the target is down', async () => {
    const dead = await startFaultProxy('http://127.0.0.1:1');
    try {
      const reply = await new Promise<number>((resolve, reject) => {
        http
          .request(dead.url, { method: 'POST', agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject)
          .end('{}');
      });
      expect(reply).toBe(502);
      expect(dead.requests[0]?.status).toBe(502);
    } finally {
      await dead.stop();
    }
  });
});

describe('counting and recording', () => {
  it('counts by X-Amz-Target, falling back to method and path', async () => {
    await send('/', { headers: smTarget, body: '{"n":1}' });
    await send('/', { headers: smTarget, body: '{"n":2}' });
    await send('/', { headers: ddbTarget, body: '{}' });
    await send('/bucket/key?acl', { method: 'GET' });

    expect(proxy.counts()).toEqual({
      'secretsmanager.PutSecretValue': 2,
      'DynamoDB_20120810.UpdateItem': 1,
      'GET /bucket/key': 1,
    });
    expect(proxy.requests.map((r) => [r.operation, r.body, r.status])).toEqual([
      ['secretsmanager.PutSecretValue', '{"n":1}', 200],
      ['secretsmanager.PutSecretValue', '{"n":2}', 200],
      ['DynamoDB_20120810.UpdateItem', '{}', 200],
      ['GET /bucket/key', '', 207],
    ]);
  });

  it('returns a snapshot from counts() and clears everything on reset()', async () => {
    await send('/', { headers: smTarget, body: '{}' });
    const snapshot = proxy.counts();
    proxy.failNext({ operation: 'PutSecretValue', times: 1, response: 'throttle' });
    proxy.reset();
    await send('/', { headers: smTarget, body: '{}' });

    expect(snapshot).toEqual({ 'secretsmanager.PutSecretValue': 1 });
    expect(proxy.counts()).toEqual({ 'secretsmanager.PutSecretValue': 1 });
    expect(proxy.requests.map((r) => r.status)).toEqual([200]);
  });

  it('keeps no bodies when recording is off', async () => {
    const quiet = await startFaultProxy(targetUrl, { record: false });
    try {
      await new Promise<void>((resolve, reject) =>
        http
          .request(quiet.url, { method: 'POST', headers: smTarget, agent: false }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject)
          .end('{}'),
      );
      expect(quiet.requests).toEqual([]);
      expect(quiet.counts()).toEqual({ 'secretsmanager.PutSecretValue': 1 });
    } finally {
      await quiet.stop();
    }
  });
});

describe('fault injection', () => {
  it.each([
    [
      'throttle',
      'Secrets Manager',
      smTarget,
      400,
      { __type: 'ThrottlingException', message: 'Rate exceeded' },
    ],
    [
      'throttle',
      'DynamoDB',
      ddbTarget,
      400,
      { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate exceeded' },
    ],
    [
      'internal-error',
      'Secrets Manager',
      smTarget,
      500,
      { __type: 'InternalServiceError', message: 'Internal server error' },
    ],
    [
      'internal-error',
      'DynamoDB',
      ddbTarget,
      500,
      { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' },
    ],
    [
      'service-unavailable',
      'Secrets Manager',
      smTarget,
      503,
      { __type: 'ServiceUnavailable', message: 'Service Unavailable' },
    ],
  ] as const)(
    '%s for %s answers %i with an awsJson error body',
    async (response, _service, headers, status, body) => {
      proxy.failNext({ operation: headers['x-amz-target'], times: 1, response });

      const reply = await send('/', { headers, body: '{"req":1}' });

      expect(reply.status).toBe(status);
      expect(reply.headers['content-type']).toBe(headers['content-type']);
      expect(JSON.parse(reply.body.toString())).toEqual(body);
      expect(seen).toHaveLength(0);
      expect(proxy.requests).toEqual([
        { operation: headers['x-amz-target'], body: '{"req":1}', status, fault: response },
      ]);
    },
  );

  it('reset destroys the connection after reading the request', async () => {
    proxy.failNext({ operation: 'UpdateItem', times: 1, response: 'reset' });

    await expect(send('/', { headers: ddbTarget, body: '{"k":1}' })).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|socket hang up/),
    });
    expect(proxy.requests).toEqual([
      { operation: 'DynamoDB_20120810.UpdateItem', body: '{"k":1}', status: 0, fault: 'reset' },
    ]);
    expect(seen).toHaveLength(0);
  });

  it('fails exactly `times` matching requests and leaves other operations alone', async () => {
    proxy.failNext({ operation: 'PutSecretValue', times: 2, response: 'internal-error' });

    const statuses: number[] = [];
    statuses.push((await send('/', { headers: ddbTarget, body: '{}' })).status);
    for (let i = 0; i < 3; i++) statuses.push((await send('/', { headers: smTarget, body: '{}' })).status);

    expect(statuses).toEqual([200, 500, 500, 200]);
    expect(proxy.counts()).toEqual({ 'DynamoDB_20120810.UpdateItem': 1, 'secretsmanager.PutSecretValue': 3 });
  });

  it('matches a dotted rule only against the whole X-Amz-Target', async () => {
    proxy.failNext({ operation: 'secretsmanager.UpdateItem', times: 1, response: 'throttle' });

    expect((await send('/', { headers: ddbTarget, body: '{}' })).status).toBe(200);
  });

  it('fails every request whose body matches while a time-boxed rule is open, and no other', async () => {
    proxy.failNext({
      operation: 'PutSecretValue',
      bodyIncludes: '"SecretId":"one"',
      forMs: 600_000,
      response: 'throttle',
    });

    const statuses: number[] = [];
    for (const secretId of ['one', 'two', 'one', 'one', 'two']) {
      statuses.push(
        (await send('/', { headers: smTarget, body: JSON.stringify({ SecretId: secretId }) })).status,
      );
    }

    expect(statuses).toEqual([400, 200, 400, 400, 200]);
  });

  it('rejects a time-boxed rule that also has a count', () => {
    expect(() => proxy.failNext({ operation: 'X', times: 1, forMs: 1_000, response: 'throttle' })).toThrow(
      /forMs/,
    );
  });

  it('rejects a rule with a non-positive count', () => {
    expect(() => proxy.failNext({ operation: 'X', times: 0, response: 'throttle' })).toThrow(/times/);
  });
});

// The point of the fault shapes: the SDK must see these as the errors a real
// service returns, which is what drives its retry decisions.
describe('as seen by the AWS SDK', () => {
  const clientConfig = () => ({
    endpoint: proxy.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });

  it.each(['throttle', 'internal-error', 'service-unavailable', 'reset'] as const)(
    'Secrets Manager retries after %s',
    async (response) => {
      const client = new SecretsManagerClient({ ...clientConfig(), maxAttempts: 2 });
      proxy.failNext({ operation: 'secretsmanager.PutSecretValue', times: 1, response });

      const out = await client.send(new PutSecretValueCommand({ SecretId: 's', SecretString: 'x' }));

      expect(out.VersionId).toBe('v1');
      expect(out.$metadata.attempts).toBe(2);
      expect(proxy.counts()['secretsmanager.PutSecretValue']).toBe(2);
      client.destroy();
    },
  );

  it('DynamoDB retries after a throttle', async () => {
    const client = new DynamoDBClient({ ...clientConfig(), maxAttempts: 2 });
    proxy.failNext({ operation: 'UpdateItem', times: 1, response: 'throttle' });

    const out = await client.send(new UpdateItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));

    expect(out.$metadata.attempts).toBe(2);
    client.destroy();
  });

  it.each([
    ['throttle', 'ThrottlingException', 400],
    ['internal-error', 'InternalServiceError', 500],
    ['service-unavailable', 'ServiceUnavailable', 503],
  ] as const)('Secrets Manager surfaces %s as %s once attempts run out', async (response, name, status) => {
    const client = new SecretsManagerClient({ ...clientConfig(), maxAttempts: 1 });
    proxy.failNext({ operation: 'PutSecretValue', times: 1, response });

    await expect(
      client.send(new PutSecretValueCommand({ SecretId: 's', SecretString: 'x' })),
    ).rejects.toMatchObject({
      name,
      $metadata: { httpStatusCode: status },
    });
    client.destroy();
  });

  it('DynamoDB surfaces its namespaced throttle as ThrottlingException', async () => {
    const client = new DynamoDBClient({ ...clientConfig(), maxAttempts: 1 });
    proxy.failNext({ operation: 'UpdateItem', times: 1, response: 'throttle' });

    await expect(
      client.send(new UpdateItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })),
    ).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    client.destroy();
  });
});
