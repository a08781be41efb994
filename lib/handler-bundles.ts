import * as path from 'node:path';
import { DEFAULTS } from './defaults';

/**
 * The Lambda handlers of this library. Each is bundled once, when the package
 * is built (`npm run build:handlers`, run by `prepare`), into
 * `bundles/<name>/index.js`; the constructs reference the prebuilt directory
 * as an asset, so a consumer's `cdk synth` needs neither esbuild nor Docker
 * nor network.
 */
export const HANDLER_BUNDLES = {
  authorize: 'auth/authorize-handler.ts',
  login: 'auth/login-handler.ts',
  callback: 'auth/callback-handler.ts',
  'device-api': 'device/device-api-handler.ts',
  refresh: 'refresh/handler.ts',
  rotation: 'rotation/handler.ts',
} as const;

/** Name of one prebuilt handler bundle. */
export type HandlerBundleName = keyof typeof HANDLER_BUNDLES;

/**
 * Package root: `lib/` sits directly under it both in this repository (the
 * TypeScript sources) and in the published package (the compiled JavaScript),
 * so the bundles are found the same way in both.
 */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** Where the prebuilt bundles live, relative to the package root. */
export const BUNDLES_FOLDER = 'bundles';

/** Directory of one prebuilt handler bundle (contains `index.js` and `index.js.map`). */
export function handlerBundleDir(name: HandlerBundleName, root: string = PACKAGE_ROOT): string {
  return path.join(root, BUNDLES_FOLDER, name);
}

/**
 * esbuild options shared by every handler. The SDK is bundled (no externals)
 * so its version comes from our lockfile, not from whatever the runtime ships.
 * sourcesContent is off: the runtime only needs the mappings, and no source
 * text is shipped.
 */
export const HANDLER_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: DEFAULTS.bundlingTarget,
  // Prefer ES module builds so esbuild can tree-shake the SDK's unused commands.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [] as string[],
} as const;
