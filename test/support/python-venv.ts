import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Repository root: this file lives in <repo>/test/support. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const DEFAULT_MOTO_VENV_DIR = path.join(REPO_ROOT, '.venv', 'moto');
export const DEFAULT_MOTO_REQUIREMENTS = path.join(REPO_ROOT, 'test', 'support', 'moto-requirements.txt');

export interface EnsureMotoVenvOptions {
  /** The console script whose presence proves the install worked; `moto_server` by default. */
  binary?: string;
  /** What the venv is for, in progress and error messages; `moto` by default. */
  purpose?: string;
  /** Interpreter used to create the venv; resolved through PATH. */
  python?: string;
  venvDir?: string;
  requirementsFile?: string;
  /** Progress sink; stderr by default so jest's reporter output stays readable. */
  log?: (line: string) => void;
  /** How long to wait for another process that holds the install lock. */
  lockTimeoutMs?: number;
}

const STAMP_FILE = '.requirements.sha256';
const MIN_PYTHON: readonly [number, number] = [3, 9];
const INSTALL_HINT = 'apt-get install python3 python3-venv';

const isWindows = process.platform === 'win32';
const binDir = (venvDir: string) => path.join(venvDir, isWindows ? 'Scripts' : 'bin');
const exe = (name: string) => (isWindows ? `${name}.exe` : name);

/**
 * Returns the path of `moto_server` (or `options.binary`) inside a project-local venv, creating the
 * venv on first use. Never skips: a missing prerequisite is an error naming it,
 * because integration tests that silently do nothing are worse than failing.
 */
export async function ensureMotoVenv(options: EnsureMotoVenvOptions = {}): Promise<string> {
  const python = options.python ?? 'python3';
  const venvDir = options.venvDir ?? DEFAULT_MOTO_VENV_DIR;
  const requirementsFile = options.requirementsFile ?? DEFAULT_MOTO_REQUIREMENTS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const requirements = fs.readFileSync(requirementsFile);
  const wantedStamp = createHash('sha256').update(requirements).digest('hex');
  const binary = options.binary ?? 'moto_server';
  const purpose = options.purpose ?? 'moto';
  const motoServer = path.join(binDir(venvDir), exe(binary));

  if (isVenvCurrent(venvDir, motoServer, wantedStamp)) return motoServer;

  fs.mkdirSync(path.dirname(venvDir), { recursive: true });
  const release = await acquireLock(`${venvDir}.lock`, options.lockTimeoutMs ?? 15 * 60_000, log);
  try {
    // Another process may have finished the install while we waited for the lock.
    if (isVenvCurrent(venvDir, motoServer, wantedStamp)) return motoServer;

    await checkPython(python);

    // A venv without a matching stamp is either half-built (an interrupted
    // install) or for other requirements; rebuilding is cheaper to reason
    // about than upgrading in place.
    fs.rmSync(venvDir, { recursive: true, force: true });
    log(`Creating Python venv for ${purpose} at ${venvDir}`);
    const venv = await run(python, ['-m', 'venv', venvDir]);
    if (venv.code !== 0) {
      fs.rmSync(venvDir, { recursive: true, force: true });
      if (/ensurepip|python3-venv|No module named venv/i.test(venv.output)) {
        throw new Error(
          `${python} cannot create virtual environments (the venv/ensurepip module is missing): ` +
            `install python3-venv (apt-get install python3-venv) and re-run npm test.\n${tail(venv.output)}`,
        );
      }
      throw new Error(`\`${python} -m venv ${venvDir}\` failed (exit ${venv.code}):\n${tail(venv.output)}`);
    }

    const started = Date.now();
    log(`Installing ${describeRequirements(requirements.toString('utf8'))} (first run only, ~1 min)…`);
    const venvPython = path.join(binDir(venvDir), exe('python'));
    const pip = await run(venvPython, [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--progress-bar',
      'off',
      '-r',
      requirementsFile,
    ]);
    if (pip.code !== 0) {
      throw new Error(
        `pip install -r ${path.relative(REPO_ROOT, requirementsFile)} failed (exit ${pip.code}); ` +
          `PyPI must be reachable on the first run.\n${tail(pip.output)}`,
      );
    }
    if (!fs.existsSync(motoServer)) {
      throw new Error(
        `pip install succeeded but ${motoServer} does not exist; is the package providing ${binary} in ${requirementsFile}?`,
      );
    }
    // Written last: its presence is what marks the venv as complete.
    fs.writeFileSync(path.join(venvDir, STAMP_FILE), `${wantedStamp}\n`);
    log(`Installed ${purpose} into ${venvDir} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return motoServer;
  } finally {
    release();
  }
}

function isVenvCurrent(venvDir: string, motoServer: string, wantedStamp: string): boolean {
  try {
    const stamp = fs.readFileSync(path.join(venvDir, STAMP_FILE), 'utf8').trim();
    // existsSync follows symlinks, so a venv whose base interpreter was
    // removed (e.g. a pyenv version uninstalled) counts as missing.
    return (
      stamp === wantedStamp &&
      fs.existsSync(motoServer) &&
      fs.existsSync(path.join(binDir(venvDir), exe('python')))
    );
  } catch {
    return false;
  }
}

async function checkPython(python: string): Promise<void> {
  const missing = () =>
    new Error(
      `${python} (${MIN_PYTHON.join('.')}+) is required for the integration tests but was not found on PATH: ` +
        `install it (${INSTALL_HINT}) and re-run npm test.`,
    );
  let result: RunResult;
  try {
    result = await run(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
    throw err;
  }
  const match = /^(\d+)\.(\d+)\s*$/m.exec(result.output);
  if (result.code !== 0 || !match) {
    throw new Error(`${python} did not run correctly (exit ${result.code}):\n${tail(result.output)}`);
  }
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    throw new Error(
      `${python} is Python ${major}.${minor}, but moto needs ${MIN_PYTHON.join('.')}+: ` +
        `install a newer python3 (${INSTALL_HINT}) and re-run npm test.`,
    );
  }
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command collecting stdout+stderr; rejects only if it cannot be started. */
function run(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Keep a user's PIP_* or PYTHON* settings from redirecting the install
      // somewhere other than the venv.
      env: { ...process.env, PIP_USER: '0', PYTHONNOUSERSITE: '1' },
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

function tail(output: string, lines = 30): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

function describeRequirements(text: string): string {
  const reqs = text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  return reqs.join(', ') || 'requirements';
}

/**
 * mkdir is atomic on every filesystem we care about, so a lock directory keeps
 * two concurrent test runs (several engineers share this tree) from both
 * installing into the same venv. The owner pid lets a crashed run's lock be
 * reclaimed instead of blocking everyone until someone deletes it by hand.
 */
export async function acquireLock(
  lockDir: string,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  const ownerFile = path.join(lockDir, 'owner');
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(ownerFile, `${process.pid}\n${os.hostname()}\n`);
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(lockDir, ownerFile)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${lockDir} (another process holds the install lock); delete it if stale.`,
      );
    }
    if (!announced) {
      log(`Waiting for another process to finish its install (${lockDir})…`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function isStale(lockDir: string, ownerFile: string): boolean {
  let owner: string;
  try {
    owner = fs.readFileSync(ownerFile, 'utf8');
  } catch {
    // The owner writes the file right after mkdir; only a lock that has had no
    // owner for a while is abandoned.
    try {
      return Date.now() - fs.statSync(lockDir).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
  const [pidText, host] = owner.split('\n');
  // A pid from another host (shared filesystem) cannot be checked.
  if (host !== os.hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
