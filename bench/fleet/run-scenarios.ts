import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { FleetResult, FleetScenario } from './simulate';

/**
 * Simulates the scenarios in child processes, `parallel` at a time. The children run under the
 * same loader as this process (tsx), taken from its execArgv.
 */
export async function runScenarios(
  scenarios: readonly FleetScenario[],
  parallel: number,
  progress: (line: string) => void,
): Promise<FleetResult[]> {
  const results: FleetResult[] = new Array(scenarios.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scenarios.length) {
      const index = next++;
      const scenario = scenarios[index] as FleetScenario;
      progress(
        `  simulating ${scenario.name}: ${scenario.sellers.toLocaleString('en-US')} sellers, ${scenario.hours} h`,
      );
      results[index] = await simulateInChild(scenario);
      progress(`  ${scenario.name} done in ${results[index].wallSeconds.toFixed(1)} s`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, scenarios.length)) }, worker));
  return results;
}

function simulateInChild(scenario: FleetScenario): Promise<FleetResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, path.join(__dirname, 'worker.ts'), JSON.stringify(scenario)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // If the bench exits early (Ctrl-C, an error), the simulation must not outlive it.
    const killOnExit = () => child.kill('SIGKILL');
    process.on('exit', killOnExit);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      process.removeListener('exit', killOnExit);
      if (code !== 0) reject(new Error(`fleet simulation ${scenario.name} failed (exit ${code})`));
      else resolve(JSON.parse(stdout) as FleetResult);
    });
  });
}
