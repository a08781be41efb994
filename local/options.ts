import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type AppCredentials,
  AppCredentialsError,
  parseAppCredentials,
} from '../lambda/shared/app-credentials';
import type { LwaRotation } from '../test/emulators/lwa';

/** A flag or variable the local run cannot work with; the message says which and what to do. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type LwaMode =
  | {
      readonly kind: 'emulator';
      /** `expires_in` of every access token the emulator issues. */
      readonly expiresInSeconds: number;
      readonly rotation: LwaRotation;
    }
  | {
      readonly kind: 'real';
      readonly credentials: AppCredentials;
      /** Where the credentials came from, for the startup banner (never the values). */
      readonly credentialsSource: string;
      /** `LWA_ENDPOINTS` JSON when the developer set one; Amazon's per-region hosts otherwise. */
      readonly lwaEndpoints?: string;
    };

export interface LocalRunOptions {
  /** The API and status page; 0 picks a free port. */
  readonly port: number;
  /** The LWA emulator (ignored with the real LWA); 0 picks a free port. */
  readonly lwaPort: number;
  /** moto, the AWS emulator; 0 picks a free port. */
  readonly motoPort: number;
  /** How often the refresh handler runs, standing in for the EventBridge schedule. */
  readonly refreshEverySeconds: number;
  readonly lwa: LwaMode;
  /** The callback URL LWA must see; by default `http://localhost:<port>/callback`. */
  readonly redirectUri?: string;
  /** Print the handlers' JSON log lines too, not only the one-line events. */
  readonly verbose: boolean;
}

export const DEFAULT_PORTS = { port: 3000, lwaPort: 3001, motoPort: 3002 } as const;

export const USAGE = `Usage: npm start -- [options]

Runs the whole service on this machine: moto (AWS), the LWA emulator with a consent page, the
real /authorize, /login and /callback handlers behind a local HTTP server, and the real refresh
handler on a timer. Nothing to configure; Ctrl-C stops everything.

Options (environment variable in brackets):
  --port N              API and status page port [PORT], default ${DEFAULT_PORTS.port}; 0 = any free port
  --lwa-port N          LWA emulator port [LWA_PORT], default ${DEFAULT_PORTS.lwaPort}; 0 = any free port
  --moto-port N         moto port [MOTO_PORT], default ${DEFAULT_PORTS.motoPort}; 0 = any free port
  --refresh-every S     run the refresh handler every S seconds [REFRESH_EVERY_SECONDS], default 10
  --expires-in S        lifetime of emulated access tokens [LWA_EXPIRES_IN], default 120
  --rotation MODE       emulated refresh-token rotation: every-refresh or never [LWA_ROTATION],
                        default every-refresh
  --real-lwa            use Amazon's real LWA and Seller Central with your app's credentials from
                        LWA_CLIENT_ID, LWA_CLIENT_SECRET, SPAPI_APPLICATION_ID and SPAPI_DRAFT
  --credentials FILE    with --real-lwa: read the credentials from a JSON file instead
                        ({"clientId","clientSecret","applicationId","draft"}, as in the app secret)
  --redirect-uri URL    the OAuth redirect URI registered for your app [REDIRECT_URI],
                        default http://localhost:<port>/callback
  --verbose             also print the handlers' structured JSON log lines
  --help                show this text`;

type Env = Readonly<Record<string, string | undefined>>;

/** Flags win over environment variables, which win over the defaults. */
export function parseOptions(argv: readonly string[], env: Env = process.env): LocalRunOptions | 'help' {
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  if (values.help) return 'help';
  const port = portOption('--port', 'PORT', values.port ?? env.PORT, DEFAULT_PORTS.port);
  const redirectUri = values['redirect-uri'] ?? env.REDIRECT_URI?.trim();
  if (redirectUri !== undefined && redirectUri !== '' && !/^https?:\/\/\S+$/.test(redirectUri)) {
    throw new UsageError(`--redirect-uri must be an absolute http(s) URL, got "${redirectUri}".`);
  }
  if (values.credentials !== undefined && !values['real-lwa']) {
    throw new UsageError('--credentials is only used with --real-lwa.');
  }
  return {
    port,
    lwaPort: portOption('--lwa-port', 'LWA_PORT', values['lwa-port'] ?? env.LWA_PORT, DEFAULT_PORTS.lwaPort),
    motoPort: portOption(
      '--moto-port',
      'MOTO_PORT',
      values['moto-port'] ?? env.MOTO_PORT,
      DEFAULT_PORTS.motoPort,
    ),
    refreshEverySeconds: integerOption(
      '--refresh-every',
      'REFRESH_EVERY_SECONDS',
      values['refresh-every'] ?? env.REFRESH_EVERY_SECONDS,
      10,
      { min: 1, max: 3600 },
    ),
    lwa: values['real-lwa']
      ? realLwa(values.credentials, env)
      : {
          kind: 'emulator',
          expiresInSeconds: integerOption(
            '--expires-in',
            'LWA_EXPIRES_IN',
            values['expires-in'] ?? env.LWA_EXPIRES_IN,
            120,
            { min: 5, max: 86_400 },
          ),
          rotation: rotationOption(values.rotation ?? env.LWA_ROTATION),
        },
    redirectUri: redirectUri || undefined,
    verbose: values.verbose === true,
  };
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      'lwa-port': { type: 'string' },
      'moto-port': { type: 'string' },
      'refresh-every': { type: 'string' },
      'expires-in': { type: 'string' },
      rotation: { type: 'string' },
      'real-lwa': { type: 'boolean' },
      credentials: { type: 'string' },
      'redirect-uri': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

function portOption(flag: string, variable: string, raw: string | undefined, fallback: number): number {
  return integerOption(flag, variable, raw, fallback, { min: 0, max: 65_535 });
}

function integerOption(
  flag: string,
  variable: string,
  raw: string | undefined,
  fallback: number,
  bounds: { min: number; max: number },
): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new UsageError(
      `${flag} (or ${variable}) must be an integer from ${bounds.min} to ${bounds.max}, got "${raw}".`,
    );
  }
  return value;
}

function rotationOption(raw: string | undefined): LwaRotation {
  const value = raw?.trim() || 'every-refresh';
  if (value !== 'every-refresh' && value !== 'never') {
    throw new UsageError(`--rotation (or LWA_ROTATION) must be every-refresh or never, got "${value}".`);
  }
  return value;
}

const CREDENTIAL_VARIABLES = ['LWA_CLIENT_ID', 'LWA_CLIENT_SECRET', 'SPAPI_APPLICATION_ID'] as const;

/**
 * The real app's credentials, validated as the handlers validate the app secret, so a bad value
 * fails here with the variable or file named instead of later on the first request.
 */
function realLwa(credentialsFile: string | undefined, env: Env): LwaMode {
  const lwaEndpoints = env.LWA_ENDPOINTS?.trim() || undefined;
  if (credentialsFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(credentialsFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UsageError(`--credentials ${credentialsFile}: cannot read the file (${code}).`);
    }
    return {
      kind: 'real',
      credentials: credentialsFrom(`file ${credentialsFile}`, text),
      credentialsSource: credentialsFile,
      lwaEndpoints,
    };
  }
  const missing = CREDENTIAL_VARIABLES.filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new UsageError(
      `--real-lwa needs your SP-API app's credentials in ${CREDENTIAL_VARIABLES.join(', ')} ` +
        '(plus SPAPI_DRAFT=true for a draft app), or a --credentials file.json holding ' +
        `{"clientId","clientSecret","applicationId","draft"}. Not set: ${missing.join(', ')}.`,
    );
  }
  const draft = env.SPAPI_DRAFT?.trim().toLowerCase() ?? 'false';
  if (draft !== 'true' && draft !== 'false' && draft !== '') {
    throw new UsageError(`SPAPI_DRAFT must be true or false, got "${env.SPAPI_DRAFT}".`);
  }
  const json = JSON.stringify({
    clientId: env.LWA_CLIENT_ID?.trim(),
    clientSecret: env.LWA_CLIENT_SECRET?.trim(),
    applicationId: env.SPAPI_APPLICATION_ID?.trim(),
    draft: draft === 'true',
  });
  return {
    kind: 'real',
    credentials: credentialsFrom('the environment', json),
    credentialsSource: 'the environment',
    lwaEndpoints,
  };
}

function credentialsFrom(source: string, json: string): AppCredentials {
  try {
    return parseAppCredentials(source, json);
  } catch (error) {
    // The handlers' own check, so the local run accepts exactly what the app secret may hold.
    if (error instanceof AppCredentialsError)
      throw new UsageError(error.message.replace('App credentials secret ', 'App credentials from '));
    throw error;
  }
}
