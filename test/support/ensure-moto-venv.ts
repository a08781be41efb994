import { ensureMotoVenv } from './python-venv';

// Creates (or verifies) the project-local Python venv that serves moto to the integration tests.
ensureMotoVenv()
  .then((motoServer) => process.stdout.write(`moto venv ready: ${motoServer}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
