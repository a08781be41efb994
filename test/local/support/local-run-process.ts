import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Every port picked by the kernel, so parallel test files never collide. */
export const FREE_PORTS = ['--port', '0', '--lwa-port', '0', '--moto-port', '0'];

export interface LocalRunProcess {
  readonly child: ChildProcess;
  /** `http://localhost:<port>`, from the "Ready" line. */
  readonly url: string;
  readonly motoEndpoint: string;
  readonly motoPid: number;
  readonly sellerTableName: string;
  /** Everything printed so far, stdout and stderr interleaved, line by line. */
  readonly lines: string[];
  /** Resolves with the exit code (or the signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until a printed line matches, or fails after `timeoutMs` with the output so far. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops it as a terminal's Ctrl-C would (SIGINT to its process group) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts the local run as a user would, `npm start -- …` by default, in its own process group
 * (like a terminal's foreground job), and waits for its "Ready" line.
 */
export async function startLocalRunProcess(
  args: readonly string[],
  options: { command?: readonly string[]; env?: NodeJS.ProcessEnv; readyTimeoutMs?: number } = {},
): Promise<LocalRunProcess> {
  const [command = 'npm', ...commandArgs] = options.command ?? ['npm', 'start', '--'];
  const child = spawn(command, [...commandArgs, ...args], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      for (const wake of waiters) wake();
    });
  };
  if (child.stdout) collect(child.stdout);
  if (child.stderr) collect(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      for (const wake of waiters) wake();
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const waitForLine = (pattern: RegExp, timeoutMs = 60_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = lines.find((l) => pattern.test(l));
        if (line !== undefined) {
          finish();
          resolve(line);
          return true;
        }
        if (hasExited) {
          finish();
          reject(new Error(`the local run exited before printing ${pattern}:\n${lines.join('\n')}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no line matched ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`));
      }, timeoutMs);
      const wake = () => {
        check();
      };
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      if (!check()) waiters.add(wake);
    });

  const stop = async (): Promise<void> => {
    if (!hasExited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGINT');
      } catch {
        // Already gone.
      }
    }
    await exited;
  };

  try {
    const ready = await waitForLine(/^Ready in /, options.readyTimeoutMs ?? 120_000);
    const url = /(http:\/\/localhost:\d+)/.exec(ready)?.[1];
    const moto = /moto \(AWS emulator\)\s+(http:\/\/\S+)\s+pid (\d+)/.exec(lines.join('\n'));
    const table = /sellers table (\S+)/.exec(lines.join('\n'));
    if (!url || !moto?.[1] || !moto[2] || !table?.[1]) {
      throw new Error(`could not read the URLs from the startup lines:\n${lines.join('\n')}`);
    }
    return {
      child,
      url,
      motoEndpoint: moto[1],
      motoPid: Number(moto[2]),
      sellerTableName: table[1],
      lines,
      exited,
      waitForLine,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every live descendant of `pid`, found through /proc (Linux). */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(Number(entry));
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function commandLineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}
