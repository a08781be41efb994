import { applyAwsEnv } from '../support/aws-test-env';
import { type MotoServer, startMotoServer } from '../support/moto-server';
import { ensureNode24 } from '../support/node24';
import { ensureMotoVenv } from '../support/python-venv';

declare global {
  // Jest runs globalSetup and globalTeardown in the same process, so this is
  // how the handle reaches teardown; test files run elsewhere and never see it.
  var __MOTO_SERVER__: MotoServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const motoServer = await ensureMotoVenv();
  // The Lambda bundles run on Node 24 (test/integration/runtime); installed here, before any test
  // file starts, so no test waits on npm and a failure names the package.
  await ensureNode24();
  const started = Date.now();
  const server = await startMotoServer({ motoServer });
  globalThis.__MOTO_SERVER__ = server;
  // Workers are forked after globalSetup returns and copy process.env, which
  // is the only channel from here to the test files.
  applyAwsEnv(server.endpoint);
  process.env.MOTO_ENDPOINT = server.endpoint;
  process.stderr.write(
    `\nmoto_server on ${server.endpoint} (pid ${server.pid}, up in ${Date.now() - started} ms)\n`,
  );
}
