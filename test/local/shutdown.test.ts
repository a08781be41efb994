import { spawn } from 'node:child_process';
import * as net from 'node:net';
import {
  commandLineOf,
  descendantsOf,
  FREE_PORTS,
  isRunning,
  REPO_ROOT,
  startLocalRunProcess,
} from './support/local-run-process';

jest.setTimeout(120_000);

/** Resolves once nothing accepts connections on the URL's port any more. */
function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('npm start stops everything it started', () => {
  it.each([
    ['Ctrl-C (SIGINT to the whole process group)', 'group', 'SIGINT'],
    ['SIGINT to npm alone', 'npm', 'SIGINT'],
    ['SIGTERM to npm alone', 'npm', 'SIGTERM'],
  ] as const)('on %s: exits 0 and leaves no process behind', async (_name, target, signal) => {
    // Prepare
    const run = await startLocalRunProcess(FREE_PORTS);
    const npmPid = run.child.pid as number;
    const started = descendantsOf(npmPid);
    const commands = started.map(commandLineOf);

    try {
      // Act
      process.kill(target === 'group' ? -npmPid : npmPid, signal);
      const exit = await run.exited;

      // Assess
      expect(started).toContain(run.motoPid);
      expect(commands.some((command) => command.includes('moto_server'))).toBe(true);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(run.lines).toContain('Stopped: every process this run started is down.');
      expect(started.filter(isRunning).map((pid) => `${pid} ${commandLineOf(pid)}`)).toEqual([]);
      await expect(refusesConnections(run.motoEndpoint)).resolves.toBe(true);
      await expect(refusesConnections(run.url)).resolves.toBe(true);
    } finally {
      // Only after a failure: orphans would hold the output pipes open and keep jest waiting.
      for (const pid of started.filter(isRunning)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('npm start with a busy port', () => {
  let blocker: net.Server;
  let busyPort: number;

  beforeEach(async () => {
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as net.AddressInfo).port;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });

  it.each([
    ['--port', 'the API and status page'],
    ['--lwa-port', 'the LWA emulator'],
    ['--moto-port', 'moto, the AWS emulator'],
  ])('names the port and %s, and starts nothing', async (flag, what) => {
    // Prepare
    const args = FREE_PORTS.map((value, i) => (FREE_PORTS[i - 1] === flag ? String(busyPort) : value));

    // Act
    const child = spawn('npx', ['tsx', 'local/start.ts', ...args], { cwd: REPO_ROOT, stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(`Port ${busyPort} (${what}) is already in use.`);
    expect(stderr).toContain(`choose another port with ${flag} N`);
  });
});
