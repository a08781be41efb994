import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The flags the browser tests launch Chromium with. The machine has no network beyond loopback,
 * so everything Chromium would fetch in the background (updates, sync, QUIC probes) is switched
 * off: those requests only stall or fail, and make runs slower and noisier.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's `chromium` package is the browser the tests drive (playwright-core downloads none).
 * Installs it with apt-get when it is missing; never skips: a failure names what to install.
 */
export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  if (isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const hint = `Install it with \`apt-get update && apt-get install -y chromium\` (as root) and re-run the local tests.`;
  if (process.platform !== 'linux' || !isExecutable('/usr/bin/apt-get')) {
    throw new Error(
      `The browser tests need Debian's chromium at ${CHROMIUM_PATH}, and apt-get is not available. ${hint}`,
    );
  }
  log(`${CHROMIUM_PATH} is missing; installing Debian's chromium with apt-get (first run only)…`);
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const result = spawnSync('apt-get', args, {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error || result.status !== 0) {
      const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      throw new Error(
        `\`apt-get ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status}`}); the browser tests cannot run. ${hint}\n${output}`,
      );
    }
  }
  if (!isExecutable(CHROMIUM_PATH)) {
    throw new Error(`apt-get installed chromium, but ${CHROMIUM_PATH} is still missing. ${hint}`);
  }
  return CHROMIUM_PATH;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
