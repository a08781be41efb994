import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type LwaEmulator, startLwaEmulator } from '../../emulators/lwa';
import { apiGatewayEvent } from '../../support/api-gateway-event';
import { deployToEmulators, type EmulatedDeployment } from '../../support/emulated-deployment';
import { captureLogs, type LogCapture } from '../../support/log-capture';
import { lambdaContext } from '../auth/auth-test-bed';

// A per-region stack that serves NA only must not start a device flow for EU or FE: the account
// it would store is in a region its refresher never renews.

type Handler = (event: APIGatewayProxyEvent, context: typeof lambdaContext) => Promise<APIGatewayProxyResult>;

let emulator: LwaEmulator;
let deployment: EmulatedDeployment;
let handler: Handler;
let logs: LogCapture;

beforeAll(async () => {
  logs = captureLogs();
  emulator = await startLwaEmulator();
  deployment = await deployToEmulators({ lwaUrl: emulator.url, namePrefix: 'device-served' });
  const env = { ...deployment.env, SERVED_REGIONS: 'NA' };
  const saved = new Map(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  try {
    jest.isolateModules(() => {
      handler = require('../../../lambda/device/device-api-handler').handler;
    });
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

afterAll(async () => {
  logs.restore();
  deployment.documentClient.destroy();
  deployment.secretsManager.destroy();
  await emulator.stop();
});

function start(region: string): Promise<APIGatewayProxyResult> {
  return handler(
    {
      ...apiGatewayEvent('/device/authorizations'),
      httpMethod: 'POST',
      resource: '/device/authorizations',
      body: JSON.stringify({ region, scope: 'profile' }),
    },
    lambdaContext,
  );
}

describe('POST /device/authorizations on a deployment that serves only NA', () => {
  it.each(['EU', 'FE'])(
    'answers 400 for %s, naming the served regions, without calling LWA',
    async (region) => {
      // Prepare
      const lwaCalls = emulator.callCount();

      // Act
      const response = await start(region);

      // Assess
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        error: 'region_not_served',
        message: `This deployment authorizes NA only; start the device authorization for ${region} on the deployment that serves ${region}.`,
      });
      expect(response.headers).toMatchObject({
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      });
      expect(emulator.callCount()).toBe(lwaCalls);
    },
  );

  it('still starts one for NA', async () => {
    // Act
    const response = await start('NA');

    // Assess
    expect(response.statusCode).toBe(201);
  });
});
