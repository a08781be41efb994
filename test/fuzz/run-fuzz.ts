import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FREE_PORTS, startLocalRunProcess } from '../local/support/local-run-process';
import { REPO_ROOT } from '../support/python-venv';
import { ensureSchemathesisVenv, FuzzSetupError } from './schemathesis-venv';

/**
 * Fuzzes the HTTP API that docs/openapi.yaml describes with schemathesis, against the local run
 * (the real handlers, moto and the LWA emulator). Exits non-zero on any finding: a 5xx, a response
 * without the security headers, a 4xx that wrote a secret or changed a table (test/fuzz/fuzz_hooks.py),
 * or a response that does not conform to the document.
 *
 *   npx tsx test/fuzz/run-fuzz.ts [--max-examples N] [--max-time SECONDS] [--seed N]
 */

const DEFAULTS = { maxExamples: 40, maxTimeSeconds: 75, seed: 14 };

/**
 * Checks left out, each for a reason that is about the local stand-in, not the handlers:
 * - unsupported_method: a method the API lacks is answered by API Gateway (403) in a deployment and
 *   by local/local-server.ts (405) here, never by a handler.
 * - positive_data_acceptance: a request the schema allows can still be refused by design, e.g.
 *   `/authorize` with neither `region` nor `marketplace`, or a well-formed state nobody issued.
 * - ignored_auth / object_level_authorization: the document declares no security scheme.
 */
const EXCLUDED_CHECKS = [
  'unsupported_method',
  'positive_data_acceptance',
  'ignored_auth',
  'object_level_authorization',
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'max-examples': { type: 'string' },
      'max-time': { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const maxExamples = positiveInteger(values['max-examples'], DEFAULTS.maxExamples, '--max-examples');
  const maxTimeSeconds = positiveInteger(values['max-time'], DEFAULTS.maxTimeSeconds, '--max-time');
  const seed = positiveInteger(values.seed, DEFAULTS.seed, '--seed');

  const st = await ensureSchemathesisVenv();

  const statsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-')), 'stats.json');
  // A refresh tick mid-run would change tables between a request's snapshots.
  const run = await startLocalRunProcess([...FREE_PORTS, '--refresh-every', '3600']);
  // The local run is its own process group, so a Ctrl-C here would not reach it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void run.stop().then(() => process.exit(130));
    });
  }
  try {
    process.stdout.write(
      `Fuzzing ${run.url} from docs/openapi.yaml: at most ${maxExamples} examples per operation and phase, ${maxTimeSeconds} s, seed ${seed}\n`,
    );
    const code = await runSchemathesis(
      st,
      [
        'run',
        path.join(REPO_ROOT, 'docs', 'openapi.yaml'),
        '--url',
        run.url,
        '--workers',
        '1',
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--max-examples',
        String(maxExamples),
        '--max-time',
        String(maxTimeSeconds),
        '--seed',
        String(seed),
        '--max-redirects',
        '0',
        '--checks',
        'all',
        '--exclude-checks',
        EXCLUDED_CHECKS.join(','),
        '--suppress-health-check',
        'too_slow,filter_too_much',
      ],
      {
        SCHEMATHESIS_HOOKS: 'fuzz_hooks',
        PYTHONPATH: path.join(REPO_ROOT, 'test', 'fuzz'),
        MOTO_ENDPOINT: run.motoEndpoint,
        API_URL: run.url,
        FUZZ_STATS_FILE: statsFile,
      },
    );
    printStats(statsFile);
    const threw = run.lines.filter((line) => /handler threw/.test(line));
    if (threw.length > 0) {
      process.stderr.write(`Handlers threw during fuzzing:\n${threw.join('\n')}\n`);
      return 1;
    }
    return code;
  } finally {
    await run.stop();
  }
}

/** Responses by status, and how many /callback cases carried a live state (from fuzz_hooks.py). */
function printStats(statsFile: string): void {
  if (!fs.existsSync(statsFile)) return;
  const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as Record<string, number>;
  const statuses = Object.entries(stats)
    .filter(([key]) => key.startsWith('status_'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => `${key.slice('status_'.length)}: ${count}`);
  process.stdout.write(
    `Responses checked by status: ${statuses.join(', ')}; /callback cases with a live state: ${stats.live_states_injected ?? 0}\n`,
  );
}

function runSchemathesis(st: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(st, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env, PYTHONNOUSERSITE: '1' },
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

function positiveInteger(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new FuzzSetupError(`${flag} must be a positive integer, got "${raw}".`);
  return value;
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
