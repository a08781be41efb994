/**
 * `npm start`: the whole service on this machine, on embedded defaults. See `npm start -- --help`.
 * Prints one line per event, a "Ready" line with the URL to open, and stops everything it started
 * on Ctrl-C (SIGINT) or SIGTERM.
 */
import { ConfigurationError } from '../lambda/shared/env';
import { type LocalRun, startLocalRun } from './local-run';
import { parseOptions, USAGE, UsageError } from './options';
import { PortInUseError } from './ports';

/** Signals closer together than this are one Ctrl-C delivered several ways. */
const REPEAT_WINDOW_MS = 1_000;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`npm start: ${error.message}`);
    return 2;
  }
  if (options === 'help') {
    out(USAGE);
    return 0;
  }

  const aborted = new AbortController();
  let firstSignalAt = 0;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!aborted.signal.aborted) {
        firstSignalAt = Date.now();
        aborted.abort();
        resolve(signal);
        return;
      }
      // One Ctrl-C can arrive more than once: the terminal signals the whole process group, and
      // npm and tsx each relay it too. Only a later, separate one means "stop waiting".
      if (Date.now() - firstSignalAt < REPEAT_WINDOW_MS) return;
      // moto still goes: its exit hook and the kernel's parent-death signal end it with this process.
      err('Stopping now, without waiting.');
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  });

  out('LWA token service: local run (Ctrl-C stops everything)');
  let run: LocalRun;
  try {
    run = await startLocalRun(options, { progress: out, signal: aborted.signal });
  } catch (error) {
    if (aborted.signal.aborted) {
      err('Stopped before the local run was ready; everything it had started is down.');
      return 130;
    }
    if (
      error instanceof UsageError ||
      error instanceof PortInUseError ||
      error instanceof ConfigurationError
    ) {
      err(`npm start: ${error.message}`);
      return 1;
    }
    err(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }

  const seconds = (performance.now() / 1000).toFixed(1);
  out('');
  out(`Ready in ${seconds} s. Open ${run.url}/ to watch sellers and refreshes,`);
  out(`and ${run.url}/authorize?region=EU to authorize a seller (NA and FE work too).`);
  out('');

  const signal = await signalled;
  out(
    `${signal}: stopping (letting a refresh in progress store its token first; Ctrl-C again to stop at once)…`,
  );
  await run.stop();
  out('Stopped: every process this run started is down.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    err(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
