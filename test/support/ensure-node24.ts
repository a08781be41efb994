import { ensureNode24 } from './node24';

// Installs (or verifies) the project-local Node 24 that runs the Lambda bundles in the tests.
ensureNode24()
  .then((binary) => process.stdout.write(`node 24 ready: ${binary}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
