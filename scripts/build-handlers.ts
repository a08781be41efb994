// Bundles every Lambda handler once into bundles/<name>/ (see lib/handler-bundles.ts).
// Run by `prepare` (so `npm ci` leaves a synth-ready checkout), by the cdk.json app command
// (so a handler edit is never deployed stale) and by the construct package build.
// Usage: tsx scripts/build-handlers.ts [output root]   (default: this repository)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { BUNDLES_FOLDER, HANDLER_BUILD_OPTIONS, HANDLER_BUNDLES } from '../lib/handler-bundles';

const projectRoot = path.resolve(__dirname, '..');
const outputRoot = path.resolve(process.argv[2] ?? projectRoot);
const normalizeSourceMap = path.join(projectRoot, 'lib', 'bundling', 'normalize-source-map.cjs');

async function main(): Promise<void> {
  const bundles = path.join(outputRoot, BUNDLES_FOLDER);
  // Built next to the final folder and swapped in whole, so a concurrent synth never sees half a bundle.
  const staging = fs.mkdtempSync(path.join(outputRoot, `.${BUNDLES_FOLDER}-`));
  fs.chmodSync(staging, 0o755);
  try {
    await Promise.all(
      Object.entries(HANDLER_BUNDLES).map(async ([name, entry]) => {
        const outdir = path.join(staging, name);
        await build({
          ...HANDLER_BUILD_OPTIONS,
          mainFields: [...HANDLER_BUILD_OPTIONS.mainFields],
          external: [...HANDLER_BUILD_OPTIONS.external],
          absWorkingDir: projectRoot,
          entryPoints: [path.join(projectRoot, 'lambda', entry)],
          outfile: path.join(outdir, 'index.js'),
          logLevel: 'warning',
        });
        // The asset hash covers the source map, so its paths must not depend on where the checkout is.
        execFileSync(process.execPath, [normalizeSourceMap, outdir, projectRoot]);
      }),
    );
    fs.rmSync(bundles, { recursive: true, force: true });
    fs.renameSync(staging, bundles);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Building the handler bundles failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
