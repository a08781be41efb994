/**
 * Measurement 4: each Lambda's bundle as `cdk synth` writes it, its size, and the time a fresh
 * `node` process takes to require it, next to a baseline bundle that only constructs the same SDK
 * clients (bench/baselines), built with the stack's own esbuild options.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { BUNDLING, PROJECT_ROOT } from '../lib/service-function';
import { median, ratio } from './arithmetic';

export interface ColdStartFunction {
  readonly name: string;
  readonly logicalId: string;
  readonly bundleBytes: number;
  readonly initMsMedian: number;
  readonly initMsSamples: number[];
  readonly baseline?: {
    readonly name: string;
    readonly bundleBytes: number;
    readonly initMsMedian: number;
    readonly initMsSamples: number[];
    readonly sizeRatio: number;
    readonly initRatio: number;
  };
}

export interface ColdStartResult {
  readonly runs: number;
  readonly synthSeconds: number;
  readonly nodeOptions: string;
  readonly functions: ColdStartFunction[];
}

/** Which baseline fits which function, by the construct id in its logical id. */
const KNOWN_FUNCTIONS: ReadonlyArray<{ match: string; name: string; baseline: string }> = [
  { match: 'AuthorizeHandler', name: 'authorize', baseline: 'auth-clients' },
  { match: 'LoginHandler', name: 'login', baseline: 'auth-clients' },
  { match: 'CallbackHandler', name: 'callback', baseline: 'callback-clients' },
  { match: 'DeviceHandler', name: 'device', baseline: 'auth-clients' },
  { match: 'RefreshHandler', name: 'refresh', baseline: 'refresh-clients' },
];

const REQUIRE_AND_TIME =
  'const t=process.hrtime.bigint();require(process.argv[1]);' +
  'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));';

export async function measureColdStart(input: {
  runs: number;
  progress: (line: string) => void;
}): Promise<ColdStartResult> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lwa-bench-synth-'));
  try {
    input.progress('  cdk synth (bundles every Lambda with esbuild) …');
    const synthStarted = performance.now();
    await synth(outDir);
    const synthSeconds = (performance.now() - synthStarted) / 1000;

    const functions = lambdaFunctions(outDir);
    const baselines = new Map<string, string>();
    for (const name of new Set(functions.flatMap((f) => (f.baseline ? [f.baseline] : [])))) {
      baselines.set(name, await buildBaseline(name, outDir));
    }

    const samples = new Map<string, { own: number[]; baseline: number[] }>();
    input.progress(
      `  requiring each bundle and its baseline in fresh node processes, ${input.runs} times each`,
    );
    // Interleaved, so drift on a shared machine hits bundle and baseline alike.
    for (let run = 0; run < input.runs; run++) {
      for (const fn of functions) {
        const entry = samples.get(fn.logicalId) ?? { own: [], baseline: [] };
        samples.set(fn.logicalId, entry);
        entry.own.push(await timeRequire(fn.bundle, fn.env));
        const baseline = fn.baseline ? baselines.get(fn.baseline) : undefined;
        if (baseline) entry.baseline.push(await timeRequire(baseline, fn.env));
      }
    }

    return {
      runs: input.runs,
      synthSeconds,
      nodeOptions: functions[0]?.env.NODE_OPTIONS ?? '',
      functions: functions.map((fn) => {
        const measured = samples.get(fn.logicalId) ?? { own: [], baseline: [] };
        const bundleBytes = fs.statSync(fn.bundle).size;
        const initMsMedian = median(measured.own);
        const baselineBundle = fn.baseline ? baselines.get(fn.baseline) : undefined;
        if (!fn.baseline || !baselineBundle) {
          return {
            name: fn.name,
            logicalId: fn.logicalId,
            bundleBytes,
            initMsMedian,
            initMsSamples: measured.own,
          };
        }
        const baselineBytes = fs.statSync(baselineBundle).size;
        const baselineInit = median(measured.baseline);
        return {
          name: fn.name,
          logicalId: fn.logicalId,
          bundleBytes,
          initMsMedian,
          initMsSamples: measured.own,
          baseline: {
            name: fn.baseline,
            bundleBytes: baselineBytes,
            initMsMedian: baselineInit,
            initMsSamples: measured.baseline,
            sizeRatio: ratio(bundleBytes, baselineBytes),
            initRatio: ratio(initMsMedian, baselineInit),
          },
        };
      }),
    };
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

interface SynthesizedFunction {
  readonly name: string;
  readonly logicalId: string;
  readonly bundle: string;
  readonly env: Record<string, string>;
  readonly baseline?: string;
}

/** Offline synth into a private directory, with no AWS credentials, as .ci/run does. */
function synth(outDir: string): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '-q', '-o', outDir],
      {
        cwd: PROJECT_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`cdk synth failed (exit ${code}):\n${output}`)),
    );
  });
}

/** Every Lambda function in the synthesized stacks, with its asset bundle and its environment. */
function lambdaFunctions(outDir: string): SynthesizedFunction[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const functions: SynthesizedFunction[] = [];
  for (const artifact of Object.values(manifest.artifacts)) {
    const templateFile = artifact.properties?.templateFile;
    if (artifact.type !== 'aws:cloudformation:stack' || !templateFile) continue;
    const template = JSON.parse(fs.readFileSync(path.join(outDir, templateFile), 'utf8')) as {
      Resources: Record<string, TemplateResource>;
    };
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') continue;
      const bundle = path.join(outDir, assetPath, 'index.js');
      if (!fs.existsSync(bundle)) continue;
      const known = KNOWN_FUNCTIONS.find((k) => logicalId.includes(k.match));
      functions.push({
        name: known?.name ?? logicalId,
        logicalId,
        bundle,
        env: lambdaEnv(resource.Properties?.Environment?.Variables ?? {}),
        ...(known ? { baseline: known.baseline } : {}),
      });
    }
  }
  if (functions.length === 0) throw new Error(`cdk synth wrote no Lambda bundles to ${outDir}`);
  return functions;
}

interface TemplateResource {
  Type: string;
  Metadata?: Record<string, unknown>;
  Properties?: { Environment?: { Variables?: Record<string, unknown> } };
}

/**
 * The function's environment as the template sets it. References (a table name, a key ARN) only
 * resolve at deploy time, so they get dummy values of the right shape; handlers only check them.
 */
function lambdaEnv(variables: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const [key, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[key] = value;
    else if (/KMS|ARN/.test(key)) env[key] = 'arn:aws:kms:us-east-1:123456789012:key/00000000-bench';
    else if (/_URL$/.test(key)) env[key] = 'https://bench.execute-api.us-east-1.amazonaws.com/prod/authorize';
    else env[key] = `bench-${key.toLowerCase().replace(/_/g, '-')}`;
  }
  return env;
}

async function buildBaseline(name: string, outDir: string): Promise<string> {
  const outfile = path.join(outDir, 'baselines', name, 'index.js');
  await build({
    entryPoints: [path.join(PROJECT_ROOT, 'bench', 'baselines', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    target: BUNDLING.target,
    format: String(BUNDLING.format) === 'esm' ? 'esm' : 'cjs',
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: BUNDLING.mainFields,
    external: BUNDLING.externalModules,
    logLevel: 'silent',
  });
  return outfile;
}

/** Milliseconds a fresh node process spends in `require(bundle)`, node's own start-up excluded. */
function timeRequire(bundle: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '-e', REQUIRE_AND_TIME, bundle], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(stdout);
      if (code === 0 && Number.isFinite(ms) && stdout !== '') resolve(ms);
      else reject(new Error(`requiring ${bundle} failed (exit ${code}):\n${stderr}`));
    });
  });
}
