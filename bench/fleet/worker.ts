/**
 * Runs one simulation in its own process, so the bench can simulate two at once on two cores:
 * `tsx bench/fleet/worker.ts '<scenario JSON>'` prints the result as JSON on stdout. A fleet
 * scenario (simulate.ts) gives a FleetResult; a layout scenario of issue 15 (`{ layout, scenario }`)
 * gives its LayoutFigures.
 */
import { type LayoutScenario, simulateLayout } from './layout-figures';
import { type FleetScenario, simulateFleet } from './simulate';

const input = JSON.parse(process.argv[2] ?? '') as FleetScenario | LayoutScenario;
const progress = (line: string) => process.stderr.write(`${line}\n`);
const simulation = 'layout' in input ? simulateLayout(input, progress) : simulateFleet(input, progress);
simulation
  .then((result) => process.stdout.write(JSON.stringify(result)))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
