import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { ensureMotoVenv } from './python-venv';

export interface MotoServer {
  /** e.g. http://127.0.0.1:45123 */
  endpoint: string;
  pid: number;
  /** Drops every resource in every service (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

export interface StartMotoServerOptions {
  /** Fixed port; by default a free loopback port is picked. */
  port?: number;
  /** moto_server executable; by default from ensureMotoVenv(). */
  motoServer?: string;
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const STDERR_TAIL_BYTES = 8 * 1024;

/**
 * Linux only: asks the kernel to SIGTERM moto when the process that spawned it
 * dies, however it dies. An 'exit' handler alone misses SIGKILL, OOM kills and
 * signals Node does not handle, which would leave moto holding a port forever.
 * prctl survives exec, so the pid we get back is moto's own. The kernel ties
 * this to the spawning *thread*, so start moto from a main thread, not a
 * worker_thread that may end before the tests do.
 */
const PDEATHSIG_LAUNCHER = `
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != int(os.environ["MOTO_PARENT_PID"]):
    sys.exit(1)  # parent already died before prctl took effect
os.execv(sys.argv[1], sys.argv[1:])
`;

export async function startMotoServer(opts: StartMotoServerOptions = {}): Promise<MotoServer> {
  const motoServer = opts.motoServer ?? (await ensureMotoVenv());
  // Another process can grab a port between our probe and moto's bind; only
  // a port we picked ourselves is worth retrying with a fresh one.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = opts.port ?? (await freePort());
    try {
      return await launch(motoServer, port, opts.startTimeoutMs ?? 30_000);
    } catch (err) {
      lastError = err;
      if (!(err instanceof MotoStartError && err.addressInUse)) break;
    }
  }
  throw lastError;
}

class MotoStartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

async function launch(motoServer: string, port: number, timeoutMs: number): Promise<MotoServer> {
  const args = ['-H', HOST, '-p', String(port)];
  const python = path.join(path.dirname(motoServer), 'python');
  const useLauncher = process.platform === 'linux' && fs.existsSync(python);
  const child = spawn(
    useLauncher ? python : motoServer,
    useLauncher ? ['-c', PDEATHSIG_LAUNCHER, motoServer, ...args] : args,
    {
      // Not detached: moto stays in our process group, so Ctrl-C reaches it too.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', MOTO_PARENT_PID: String(process.pid) },
    },
  );

  let output = '';
  // werkzeug logs every request; the pipes must be drained or moto blocks once
  // the pipe buffer fills, so keep reading and remember only the tail.
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  let hasExited = false;
  // A spawn failure (ENOENT, EACCES) emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => {
    const done = () => {
      hasExited = true;
      process.removeListener('exit', killOnExit);
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`could not start ${motoServer}: ${err.message}`))),
  );
  spawnError.catch(() => {});

  const endpoint = `http://${HOST}:${port}`;
  try {
    await Promise.race([
      spawnError,
      waitUntilServing(
        endpoint,
        child,
        () => hasExited,
        () => output,
        timeoutMs,
      ),
    ]);
  } catch (err) {
    await stopChild(child, exited, () => hasExited);
    throw err;
  }

  return {
    endpoint,
    pid: child.pid ?? -1,
    reset: () => post(`${endpoint}/moto-api/reset`),
    stop: () => stopChild(child, exited, () => hasExited),
  };
}

async function waitUntilServing(
  endpoint: string,
  child: ChildProcess,
  hasExited: () => boolean,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (hasExited()) {
      const text = output();
      throw new MotoStartError(
        `moto_server exited during startup (${child.exitCode ?? child.signalCode}):\n${text.trimEnd()}`,
        /address already in use/i.test(text),
      );
    }
    // Any HTTP answer means the server loop is up; moto's status codes for
    // "/" are not part of its contract.
    if (await answers(endpoint)) return;
    if (Date.now() > deadline) {
      throw new MotoStartError(
        `moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${output().trimEnd()}`,
        false,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${endpoint}/moto-api/`, { timeout: 1000, agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<void>,
  hasExited: () => boolean,
): Promise<void> {
  if (hasExited()) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function post(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== undefined && res.statusCode < 300) resolve();
        else reject(new Error(`POST ${url} answered ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Binds port 0 on loopback to let the kernel choose a free port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}
