import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureMotoVenv, REPO_ROOT } from '../test/support/python-venv';

/**
 * checkov over the synthesized templates: the default stack, and one with every opt-in resource
 * (device routes, the rate-limit web ACL). Skipped checks are listed, each with its reason, in
 * .checkov.yaml; any other failure fails this script (and .ci/run).
 *
 *   npx tsx scripts/run-checkov.ts
 */

const VARIANTS: Record<string, string[]> = {
  default: [],
  'opt-ins': ['-c', 'deviceAuthorizationApi=true', '-c', 'rateLimitPerIp=1000'],
};

async function main(): Promise<number> {
  const checkov = await ensureMotoVenv({
    venvDir: path.join(REPO_ROOT, '.venv', 'checkov'),
    requirementsFile: path.join(REPO_ROOT, 'test', 'support', 'checkov-requirements.txt'),
    binary: 'checkov',
    purpose: 'checkov (template static analysis)',
  });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'checkov-'));
  let status = 0;
  try {
    for (const [name, context] of Object.entries(VARIANTS)) {
      const out = path.join(work, name);
      const synth = spawnSync('npx', ['cdk', 'synth', '-q', '-o', out, ...context], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (synth.status !== 0) throw new Error(`cdk synth (${name}) failed with exit ${synth.status}`);
      const templates = fs.readdirSync(out).filter((file) => file.endsWith('.template.json'));
      process.stdout.write(`== checkov: ${name} stack (${templates.join(', ')})\n`);
      const run = spawnSync(
        checkov,
        [
          '--config-file',
          path.join(REPO_ROOT, '.checkov.yaml'),
          '--framework',
          'cloudformation',
          '--compact',
          ...templates.flatMap((template) => ['-f', path.join(out, template)]),
        ],
        { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' } },
      );
      if (run.status !== 0) status = run.status ?? 1;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return status;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
