import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureMotoVenv, REPO_ROOT } from './python-venv';

export const PYTHON_CLIENT_DIR = path.join(REPO_ROOT, 'clients', 'python');
const VENV_DIR = path.join(REPO_ROOT, '.venv', 'python-client');
const WHEEL_DIR = path.join(REPO_ROOT, '.venv', 'python-client-dist');

export interface ProcessResult {
  readonly code: number | null;
  readonly output: string;
}

export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * The project venv for the Python token client's tests (pinned pytest and boto3), with the
 * client installed from a wheel built from clients/python, the way a user installs it. Returns
 * the venv's python. A missing python3 fails with a message naming it, like the moto venv.
 */
export async function ensurePythonClientVenv(): Promise<{ python: string; wheel: string }> {
  const pytest = await ensureMotoVenv({
    venvDir: VENV_DIR,
    requirementsFile: path.join(PYTHON_CLIENT_DIR, 'requirements-test.txt'),
    binary: 'pytest',
    purpose: 'the Python token client tests',
  });
  const python = path.join(path.dirname(pytest), 'python');
  fs.rmSync(WHEEL_DIR, { recursive: true, force: true });
  const built = await runProcess(python, [
    '-m',
    'pip',
    'wheel',
    '--no-deps',
    '--disable-pip-version-check',
    '--no-input',
    '--progress-bar',
    'off',
    '--wheel-dir',
    WHEEL_DIR,
    PYTHON_CLIENT_DIR,
  ]);
  const wheel = fs.existsSync(WHEEL_DIR)
    ? fs.readdirSync(WHEEL_DIR).find((f) => f.endsWith('.whl'))
    : undefined;
  if (built.code !== 0 || !wheel) {
    throw new Error(
      `Building the Python client's wheel failed (exit ${built.code}):\n${built.output.slice(-2000)}`,
    );
  }
  const wheelPath = path.join(WHEEL_DIR, wheel);
  const installed = await runProcess(python, [
    '-m',
    'pip',
    'install',
    '--no-deps',
    '--force-reinstall',
    '--disable-pip-version-check',
    '--no-input',
    wheelPath,
  ]);
  if (installed.code !== 0) {
    throw new Error(`Installing ${wheel} failed (exit ${installed.code}):\n${installed.output.slice(-2000)}`);
  }
  return { python, wheel: wheelPath };
}
