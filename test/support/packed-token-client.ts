import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildAndPackTokenClient, REPO_ROOT } from '../../scripts/build-token-client';

/**
 * npm's download cache for the consumer projects, inside the repo (git-ignored) so a second run
 * installs from it; `npm ci` clears node_modules, so it lives outside.
 */
export const NPM_CACHE_DIR = path.join(REPO_ROOT, '.cache', 'npm');

const rootPackage = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The peers a consumer installs beside the client, at the versions this repo tests with. */
export function peerVersion(name: string): string {
  const version = rootPackage.dependencies[name] ?? rootPackage.devDependencies[name];
  if (!version) throw new Error(`${name} is not in the repo's package.json; add it there to pin it`);
  return `${name}@${version.replace(/^\^/, '')}`;
}

export interface ConsumerProject {
  /** A folder outside the repo holding package.json and node_modules. */
  readonly dir: string;
  readonly tarball: string;
  remove(): Promise<void>;
}

/**
 * A consumer Lambda project as a user sets one up: a fresh folder outside this repo, where
 * `npm install` gets the packed `lwa-token-client` tarball and the peers the user provides (the AWS
 * SDK clients, and middy and the Lambda types for the middleware), from the npm registry.
 */
export async function createConsumerProject(extraPackages: readonly string[] = []): Promise<ConsumerProject> {
  const tarball = await buildAndPackTokenClient();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lwa-token-client-consumer-'));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer-lambda', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  const packages = [
    tarball,
    peerVersion('@aws-sdk/client-secrets-manager'),
    peerVersion('@aws-sdk/client-dynamodb'),
    ...extraPackages,
  ];
  try {
    await promisify(execFile)(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--cache',
        NPM_CACHE_DIR,
        '--no-audit',
        '--no-fund',
        '--loglevel',
        'error',
        ...packages,
      ],
      { cwd: dir, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `npm install of ${path.basename(tarball)} into a consumer project failed; is the npm registry reachable?\n${stdout ?? ''}${stderr ?? ''}`,
    );
  }
  return {
    dir,
    tarball,
    remove: () => fs.promises.rm(dir, { recursive: true, force: true }),
  };
}
