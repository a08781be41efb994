import type { Readable, Writable } from 'node:stream';
import { type Clock, systemClock } from '../lambda/shared/clock';
import { OperatorError, UsageError } from './errors';

/** What a command touches outside itself; the entry point passes the process's own. */
export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly clock: Clock;
}

export interface Command {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** The command's `--help` text. */
  readonly help: string;
  /** Resolves with the exit code. Throws UsageError or OperatorError for the entry point to print. */
  run(argv: string[], context: CommandContext): Promise<number>;
}

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

export function processContext(): CommandContext {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    clock: systemClock,
  };
}

/**
 * Runs a command and turns its errors into exit codes: 2 with the help text for bad input, 1 with
 * the message for everything else. Messages come from our own errors or name the AWS action that
 * failed; none is built from a secret's value.
 */
export async function runOperatorCommand(
  command: Command,
  argv: string[],
  context: CommandContext,
): Promise<number> {
  try {
    return await command.run(argv, context);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(context.stderr, `${error.message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof OperatorError) {
      writeLine(context.stderr, error.message);
      return 1;
    }
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    writeLine(context.stderr, `lwa-tokens ${command.name} failed: ${detail}`);
    return 1;
  }
}
