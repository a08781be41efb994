import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { BUNDLING, handlerEntry } from '../../lib/service-function';

/** The handler entries the stack deploys, by a short name, relative to `lambda/`. */
export const HANDLER_ENTRIES = {
  authorize: 'auth/authorize-handler.ts',
  login: 'auth/login-handler.ts',
  callback: 'auth/callback-handler.ts',
  refresh: 'refresh/handler.ts',
  rotation: 'rotation/handler.ts',
  deviceApi: 'device/device-api-handler.ts',
} as const;

export type HandlerName = keyof typeof HANDLER_ENTRIES;

/**
 * Bundles every handler as `cdk synth` does for the functions: esbuild with the stack's own
 * {@link BUNDLING} options (target, format, main fields, minify, source maps; nothing external).
 * Returns the path of each `index.js`, in a fresh temporary directory (`outdir`, the caller's to remove).
 */
export async function bundleHandlers(): Promise<{ outdir: string; paths: Record<HandlerName, string> }> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-bundles-'));
  const entryPoints = Object.fromEntries(
    Object.entries(HANDLER_ENTRIES).map(([name, entry]) => [`${name}/index`, handlerEntry(entry)]),
  );
  await build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    target: BUNDLING.target,
    format: BUNDLING.format === 'esm' ? 'esm' : 'cjs',
    mainFields: BUNDLING.mainFields,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: BUNDLING.externalModules,
    logLevel: 'warning',
  });
  const paths = Object.fromEntries(
    Object.keys(HANDLER_ENTRIES).map((name) => [name, path.join(outdir, name, 'index.js')]),
  ) as Record<HandlerName, string>;
  return { outdir, paths };
}

export interface BundleInvocation<T> {
  /** What the handler returned (JSON round-tripped, as Lambda returns it). */
  readonly result: T;
  /** `process.version` inside the subprocess that ran the bundle. */
  readonly nodeVersion: string;
  /** Everything the bundle wrote to stdout and stderr (its structured logs), line by line. */
  readonly lines: string[];
}

/** Runs in the subprocess: loads the bundle as Lambda's runtime does and calls `handler` once. */
const INVOKER = `
const fs = require('node:fs');
const { bundle, event, context } = JSON.parse(fs.readFileSync(0, 'utf8'));
const deadline = Date.now() + context.remainingTimeMs;
const lambdaContext = {
  ...context,
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done() {}, fail() {}, succeed() {},
};
Promise.resolve()
  .then(() => require(bundle).handler(event, lambdaContext))
  .then(
    (result) => fs.writeSync(3, JSON.stringify({ result: result ?? null, nodeVersion: process.version })),
    (error) => { fs.writeSync(3, JSON.stringify({ error: String(error && error.stack || error) })); },
  );
`;

export interface InvokeOptions {
  /** The function's environment, as the construct sets it (plus AWS_ENDPOINT_URL and credentials). */
  readonly env: Record<string, string | undefined>;
  readonly functionName?: string;
  readonly remainingTimeMs?: number;
}

/**
 * Invokes a bundle's exported `handler` once in a fresh `node` process (`nodeBinary`, the Node 24
 * Lambda runs), with `--enable-source-maps` as the functions' NODE_OPTIONS set. The result comes
 * back on file descriptor 3, so the handler's own stdout logs cannot be mistaken for it.
 */
export function invokeBundle<T>(
  nodeBinary: string,
  bundle: string,
  event: unknown,
  options: InvokeOptions,
): Promise<BundleInvocation<T>> {
  const functionName = options.functionName ?? path.basename(path.dirname(bundle));
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'node24-request-id',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'node24',
    remainingTimeMs: options.remainingTimeMs ?? 28_000,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, ['--enable-source-maps', '-e', INVOKER], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      // Only what a Lambda function would see: its configured environment, not jest's.
      env: { PATH: process.env.PATH, TZ: 'UTC', AWS_REGION: 'us-east-1', ...options.env },
    });
    const output: Buffer[] = [];
    const answer: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => output.push(c));
    child.stderr?.on('data', (c: Buffer) => output.push(c));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => answer.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = Buffer.concat(output).toString('utf8').split('\n').filter(Boolean);
      const text = Buffer.concat(answer).toString('utf8');
      let parsed: { result?: T; nodeVersion?: string; error?: string };
      try {
        parsed = JSON.parse(text);
      } catch {
        reject(new Error(`the bundle ${bundle} exited ${code} without an answer:\n${lines.join('\n')}`));
        return;
      }
      if (parsed.error !== undefined || parsed.nodeVersion === undefined) {
        reject(new Error(`the handler in ${bundle} threw: ${parsed.error}\n${lines.join('\n')}`));
        return;
      }
      resolve({ result: parsed.result as T, nodeVersion: parsed.nodeVersion, lines });
    });
    child.stdin?.end(JSON.stringify({ bundle, event, context }));
  });
}
