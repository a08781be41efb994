import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HANDLER_BUNDLES, handlerBundleDir } from '../../lib/handler-bundles';
import { LwaTokenService } from '../../lib/lwa-token-service';
import { HandlerBundleMissingError, prebuiltHandlerCode } from '../../lib/service-function';

describe('handlers ship prebuilt', () => {
  test('every function runs index.handler from the prebuilt bundle, staged as is', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lwa-prebuilt-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
      const stack = new Stack(app, 'Prebuilt');
      new LwaTokenService(stack, 'Service');
      const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
      const prebuilt = new Map(
        Object.keys(HANDLER_BUNDLES).map((name) => [
          fs.readFileSync(
            path.join(handlerBundleDir(name as keyof typeof HANDLER_BUNDLES), 'index.js'),
            'utf8',
          ),
          name,
        ]),
      );
      const staged = functions.map((fn) => {
        expect(fn.Properties.Handler).toBe('index.handler');
        const assetPath = String(fn.Metadata['aws:asset:path']);
        return prebuilt.get(fs.readFileSync(path.join(outdir, assetPath, 'index.js'), 'utf8'));
      });
      // The default service deploys five of the six bundles (device-api only when enabled) and nothing else.
      expect(staged).not.toContain(undefined);
      expect(new Set(staged)).toEqual(new Set(['authorize', 'login', 'callback', 'refresh', 'rotation']));
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('an installed package without its bundles fails with a message saying what to do', () => {
    const packageRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'lwa-no-bundles-'));
    try {
      expect(() => prebuiltHandlerCode('refresh', packageRoot)).toThrow(HandlerBundleMissingError);
      expect(() => prebuiltHandlerCode('refresh', packageRoot)).toThrow(
        /The prebuilt Lambda bundle "refresh" is missing .* run `npm run build:handlers`.*reinstall it/,
      );
    } finally {
      fs.rmSync(packageRoot, { recursive: true, force: true });
    }
  });
});
