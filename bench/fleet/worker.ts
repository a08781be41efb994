/**
 * Runs one fleet scenario in its own process, so the bench can simulate two scenarios at once on
 * two cores: `tsx bench/fleet/worker.ts '<scenario JSON>'` prints the result as JSON on stdout.
 */
import { type FleetScenario, simulateFleet } from './simulate';

const scenario = JSON.parse(process.argv[2] ?? '') as FleetScenario;
simulateFleet(scenario, (line) => process.stderr.write(`${line}\n`))
  .then((result) => process.stdout.write(JSON.stringify(result)))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
