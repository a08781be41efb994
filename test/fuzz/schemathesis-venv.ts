import * as path from 'node:path';
import { ensureMotoVenv, REPO_ROOT } from '../support/python-venv';

export const SCHEMATHESIS_VENV_DIR = path.join(REPO_ROOT, '.venv', 'schemathesis');
export const SCHEMATHESIS_REQUIREMENTS = path.join(
  REPO_ROOT,
  'test',
  'fuzz',
  'schemathesis-requirements.txt',
);

/** The fuzzing could not be set up; the message names the missing piece. */
export class FuzzSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzSetupError';
  }
}

/**
 * Returns the path of schemathesis's `st` in a project-local venv, created on first use the way
 * the moto venv is. A missing python3 is an error naming it, never a skipped fuzzing run.
 */
export async function ensureSchemathesisVenv(
  options: { python?: string; venvDir?: string; log?: (line: string) => void } = {},
): Promise<string> {
  try {
    return await ensureMotoVenv({
      python: options.python,
      venvDir: options.venvDir ?? SCHEMATHESIS_VENV_DIR,
      requirementsFile: SCHEMATHESIS_REQUIREMENTS,
      binary: 'st',
      purpose: 'schemathesis (API fuzzing)',
      log: options.log,
    });
  } catch (error) {
    throw new FuzzSetupError(
      `The API fuzzing (test/fuzz/run-fuzz.ts) could not set up schemathesis: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
