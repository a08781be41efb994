import { ensureChromium } from './support/chromium';

// Installs (or verifies) Debian's chromium for the browser tests, outside jest's output.
try {
  process.stdout.write(`chromium ready: ${ensureChromium()}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
