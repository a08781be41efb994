import { ensureMotoVenv } from '../support/python-venv';
import { ensureChromium } from './support/chromium';

/**
 * Prerequisites of the local-run tests, installed once before any test file runs so no test
 * waits on an install: Debian's chromium for the browser tests (apt-get when missing), and the
 * project's moto venv that `npm start` uses. Either failing fails the run with what to install.
 */
export default async function globalSetup(): Promise<void> {
  const chromium = ensureChromium();
  const motoServer = await ensureMotoVenv();
  process.stderr.write(`\nlocal-run tests: chromium ${chromium}, moto ${motoServer}\n`);
}
