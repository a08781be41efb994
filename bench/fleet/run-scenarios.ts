import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { LayoutFigures, LayoutScenario } from './layout-figures';
import type { FleetResult, FleetScenario } from './simulate';

interface Described {
  readonly name: string;
  readonly sellers: number;
  readonly hours: number;
}

/**
 * Simulates the scenarios in child processes, `parallel` at a time. The children run under the
 * same loader as this process (tsx), taken from its execArgv.
 */
export function runScenarios(
  scenarios: readonly FleetScenario[],
  parallel: number,
  progress: (line: string) => void,
): Promise<FleetResult[]> {
  return runInChildren<FleetResult>(
    scenarios.map((scenario) => ({ input: scenario, describes: scenario })),
    parallel,
    progress,
  );
}

/** Issue 15's layout study, the same way. */
export function runLayoutScenarios(
  scenarios: readonly LayoutScenario[],
  parallel: number,
  progress: (line: string) => void,
): Promise<LayoutFigures[]> {
  return runInChildren<LayoutFigures>(
    scenarios.map((study) => ({ input: study, describes: study.scenario })),
    parallel,
    progress,
  );
}

async function runInChildren<R extends { wallSeconds: number }>(
  jobs: readonly { input: object; describes: Described }[],
  parallel: number,
  progress: (line: string) => void,
): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const { input, describes } = jobs[index] as (typeof jobs)[number];
      progress(
        `  simulating ${describes.name}: ${describes.sellers.toLocaleString('en-US')} sellers, ${describes.hours} h`,
      );
      const result = await simulateInChild<R>(describes.name, input);
      results[index] = result;
      progress(`  ${describes.name} done in ${result.wallSeconds.toFixed(1)} s`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
  return results;
}

function simulateInChild<R>(name: string, input: object): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, path.join(__dirname, 'worker.ts'), JSON.stringify(input)],
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
      if (code !== 0) reject(new Error(`fleet simulation ${name} failed (exit ${code})`));
      else resolve(JSON.parse(stdout) as R);
    });
  });
}
