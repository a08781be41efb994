/**
 * `npm run build:client`: builds the `lwa-token-client` npm package from lambda/client (the one
 * source of the TypeScript client, which this repo's own Lambdas, tests and bench import) and
 * packs it into dist/packages/lwa-token-client-<version>.tgz. `npm run build:clients` (`--python`)
 * also builds the Python client's wheel into dist/packages, in the venv its tests use.
 *
 * Output, under clients/typescript/dist/:
 * - esm/index.js, esm/middleware.js: ES modules (the package is `"type": "module"`);
 * - cjs/index.js, cjs/middleware.js: CommonJS, marked so by cjs/package.json;
 * - esm/types/…, cjs/types/…: the declarations, one copy per format, so TypeScript reads each copy
 *   in the module kind of the build it describes.
 * Everything is built with the repo's pinned esbuild and tsc and no timestamps or absolute paths,
 * so two builds of one commit are byte-identical (and `npm pack` fixes the tarball's mtimes).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { ensurePythonClientVenv } from '../test/support/python-client';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const PACKAGE_DIR = path.join(REPO_ROOT, 'clients', 'typescript');
export const PACKAGE_DIST = path.join(PACKAGE_DIR, 'dist');
export const PACK_DESTINATION = path.join(REPO_ROOT, 'dist', 'packages');
const CLIENT_SOURCE = path.join(REPO_ROOT, 'lambda', 'client');

const run = promisify(execFile);

type Format = 'esm' | 'cjs';

/**
 * The middleware entry reaches the client through the package's main entry rather than bundling a
 * second copy of it: one copy means one `defaultTokenClient()` cache and one set of error classes
 * for `instanceof`, whichever entry a consumer imports first. `./index.js` is the sibling build in
 * both formats (cjs/package.json makes `.js` CommonJS there).
 */
const middlewareUsesMainEntry: Plugin = {
  name: 'middleware-uses-main-entry',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\/token-client$/ }, (args) =>
      path.resolve(args.importer) === path.join(CLIENT_SOURCE, 'middleware.ts')
        ? { path: './index.js', external: true }
        : undefined,
    );
  },
};

async function bundle(format: Format): Promise<void> {
  const outdir = path.join(PACKAGE_DIST, format);
  await build({
    entryPoints: [path.join(CLIENT_SOURCE, 'index.ts'), path.join(CLIENT_SOURCE, 'middleware.ts')],
    outdir,
    // Paths in the output's comments are relative to this, whatever directory the build runs from.
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    // The Lambda runtime provides the AWS SDK (peer dependencies); middy is the consumer's own.
    external: ['@aws-sdk/*', '@middy/core'],
    plugins: [middlewareUsesMainEntry],
    // Readable in node_modules; the consumer's bundler minifies.
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  if (format === 'cjs') {
    fs.writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  }
}

/**
 * Node's ES module resolution (and TypeScript's `nodenext`) needs the extension on relative
 * specifiers, in declarations too; the sources leave it off, so it is added to the emitted `.d.ts`.
 */
export function addJsExtensions(declaration: string): string {
  return declaration.replace(
    /(from\s+|import\()(['"])(\.{1,2}\/[^'"]+?)\2/g,
    (_match, keyword: string, quote: string, specifier: string) =>
      `${keyword}${quote}${specifier.endsWith('.js') ? specifier : `${specifier}.js`}${quote}`,
  );
}

async function declarations(): Promise<void> {
  const scratch = path.join(PACKAGE_DIST, '.types');
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', path.join(PACKAGE_DIR, 'tsconfig.build.json')], {
      cwd: PACKAGE_DIR,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed to emit the client's declarations:\n${stdout ?? ''}${stderr ?? ''}`);
  }
  for (const format of ['esm', 'cjs'] as const) {
    for (const relative of listFiles(scratch)) {
      const target = path.join(PACKAGE_DIST, format, 'types', relative);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, addJsExtensions(fs.readFileSync(path.join(scratch, relative), 'utf8')));
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** Builds clients/typescript/dist from scratch. */
export async function buildTokenClientPackage(): Promise<void> {
  fs.rmSync(PACKAGE_DIST, { recursive: true, force: true });
  await bundle('esm');
  await bundle('cjs');
  await declarations();
}

/** `npm pack`s the built package into dist/packages and returns the tarball's path. */
export async function packTokenClient(): Promise<string> {
  fs.mkdirSync(PACK_DESTINATION, { recursive: true });
  const { stdout } = await run(
    'npm',
    ['pack', PACKAGE_DIR, '--pack-destination', PACK_DESTINATION, '--json', '--silent'],
    { cwd: REPO_ROOT },
  );
  const [packed] = JSON.parse(stdout) as [{ filename: string }];
  return path.join(PACK_DESTINATION, packed.filename);
}

/**
 * The package's ES module build as a consumer's Lambda bundle carries it: bundled with everything it
 * imports except the AWS SDK (which the runtime provides), and minified. `packageRoot` is an
 * installed or unpacked package (the folder holding its package.json).
 */
export async function minifiedClientBytes(packageRoot: string): Promise<number> {
  const result = await build({
    entryPoints: [path.join(packageRoot, 'dist', 'esm', 'index.js')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['@aws-sdk/*'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
}

/** Builds and packs: what the tests, the bench and `npm run build:client` use. */
export async function buildAndPackTokenClient(): Promise<string> {
  await buildTokenClientPackage();
  return packTokenClient();
}

/** The wheel the Python client's tests install (test/support/python-client.ts), copied to dist/packages. */
async function buildPythonWheel(): Promise<string> {
  const { wheel } = await ensurePythonClientVenv();
  fs.mkdirSync(PACK_DESTINATION, { recursive: true });
  const target = path.join(PACK_DESTINATION, path.basename(wheel));
  fs.copyFileSync(wheel, target);
  return target;
}

async function main(argv: readonly string[]): Promise<string[]> {
  const built = [await buildAndPackTokenClient()];
  if (argv.includes('--python')) built.push(await buildPythonWheel());
  return built;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (files) => process.stdout.write(files.map((file) => `${path.relative(process.cwd(), file)}\n`).join('')),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
