import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_PORTS, type LocalRunOptions, parseOptions, UsageError } from '../../local/options';

function parse(argv: string[], env: Record<string, string> = {}): LocalRunOptions {
  const options = parseOptions(argv, env);
  if (options === 'help') throw new Error('unexpected --help');
  return options;
}

const REAL_ENV = {
  LWA_CLIENT_ID: 'amzn1.application-oa2-client.real',
  LWA_CLIENT_SECRET: 'real-secret',
  SPAPI_APPLICATION_ID: 'amzn1.sp.solution.real',
};

describe('npm start options', () => {
  it('needs nothing: the emulator, 120 s tokens, a 10 s schedule and the default ports', () => {
    // Act
    const options = parse([]);

    // Assess
    expect(options).toEqual({
      ...DEFAULT_PORTS,
      refreshEverySeconds: 10,
      lwa: { kind: 'emulator', expiresInSeconds: 120, rotation: 'every-refresh' },
      redirectUri: undefined,
      verbose: false,
    });
  });

  it('takes flags over environment variables', () => {
    // Act
    const options = parse(['--port', '0', '--expires-in', '30'], {
      PORT: '4000',
      LWA_PORT: '4001',
      MOTO_PORT: '4002',
    });

    // Assess
    expect(options).toMatchObject({ port: 0, lwaPort: 4001, motoPort: 4002 });
    expect(options.lwa).toMatchObject({ expiresInSeconds: 30 });
  });

  it.each([
    [['--port', '70000'], '--port (or PORT) must be an integer from 0 to 65535, got "70000".'],
    [
      ['--refresh-every', '0'],
      '--refresh-every (or REFRESH_EVERY_SECONDS) must be an integer from 1 to 3600',
    ],
    [['--rotation', 'sometimes'], '--rotation (or LWA_ROTATION) must be every-refresh or never'],
    [['--credentials', 'x.json'], '--credentials is only used with --real-lwa.'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j with a message naming the flag', (argv, message) => {
    expect(() => parse(argv)).toThrow(UsageError);
    expect(() => parse(argv)).toThrow(message);
  });

  it('with --real-lwa, names every missing credential variable', () => {
    expect(() => parse(['--real-lwa'], { LWA_CLIENT_ID: 'amzn1.application-oa2-client.real' })).toThrow(
      'Not set: LWA_CLIENT_SECRET, SPAPI_APPLICATION_ID.',
    );
  });

  it('with --real-lwa, reads the credentials and any LWA_ENDPOINTS from the environment', () => {
    // Act
    const options = parse(['--real-lwa', '--redirect-uri', 'https://example.com/callback'], {
      ...REAL_ENV,
      SPAPI_DRAFT: 'true',
      LWA_ENDPOINTS: '{"EU":"https://api.amazon.com"}',
    });

    // Assess
    expect(options.lwa).toEqual({
      kind: 'real',
      credentials: {
        clientId: REAL_ENV.LWA_CLIENT_ID,
        clientSecret: REAL_ENV.LWA_CLIENT_SECRET,
        applicationId: REAL_ENV.SPAPI_APPLICATION_ID,
        draft: true,
      },
      credentialsSource: 'the environment',
      lwaEndpoints: '{"EU":"https://api.amazon.com"}',
    });
    expect(options.redirectUri).toBe('https://example.com/callback');
  });

  it('with --real-lwa --credentials, reads the app secret JSON from the file and checks it as the handlers do', () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-credentials-'));
    const good = path.join(dir, 'good.json');
    const placeholder = path.join(dir, 'placeholder.json');
    fs.writeFileSync(
      good,
      JSON.stringify({ clientId: 'c', clientSecret: 's', applicationId: 'a', draft: false }),
    );
    fs.writeFileSync(
      placeholder,
      JSON.stringify({ clientId: 'REPLACE_ME', clientSecret: 's', applicationId: 'a' }),
    );

    try {
      // Act
      const options = parse(['--real-lwa', '--credentials', good]);

      // Assess
      expect(options.lwa).toMatchObject({
        kind: 'real',
        credentialsSource: good,
        credentials: { clientId: 'c' },
      });
      expect(() => parse(['--real-lwa', '--credentials', placeholder])).toThrow(
        'still holds placeholder values',
      );
      expect(() => parse(['--real-lwa', '--credentials', path.join(dir, 'missing.json')])).toThrow(
        'cannot read the file (ENOENT)',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
