import { parseArgs } from 'node:util';
import { isRegion, type Region } from '../lambda/shared/regions';
import { UsageError } from './errors';
import { SETTING_OPTIONS } from './settings';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parsed flags: a string flag's value, or true for a boolean flag that was given. */
export class Flags {
  constructor(readonly values: Readonly<Record<string, string | boolean | undefined>>) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  boolean(name: string): boolean {
    return this.values[name] === true;
  }
}

/** parseArgs with the shared setting flags and `--help`; unknown flags are usage errors. */
export function parseCommand(argv: string[], options: OptionSpec): { flags: Flags; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...SETTING_OPTIONS, ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return {
      flags: new Flags(parsed.values as Record<string, string | boolean | undefined>),
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function requireRegion(value: unknown): Region {
  if (!isRegion(value)) throw new UsageError('--region must be NA, EU or FE.');
  return value;
}

export function optionalRegion(value: unknown): Region | undefined {
  return value === undefined ? undefined : requireRegion(value);
}

/** `--application-region`: where the app is registered; absent leaves the environment's choice. */
export function optionalApplicationRegion(value: string | undefined): Region | undefined {
  if (value === undefined) return undefined;
  if (!isRegion(value)) throw new UsageError('--application-region must be NA, EU or FE.');
  return value;
}

/** For a command that takes only flags. */
export function noPositionals(positionals: string[]): void {
  if (positionals.length > 0)
    throw new UsageError(`Unexpected argument "${positionals[0]}": this command takes only options.`);
}

/** The one positional argument a command takes, such as the seller id. */
export function singlePositional(positionals: string[], name: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`Give exactly one ${name}.`);
  return positionals[0];
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `30d`, `12h`, `90m` or `45s` in seconds. */
export function parseDuration(raw: string, flag: string): number {
  const match = /^(\d+)([smhd])$/.exec(raw.trim());
  if (!match) throw new UsageError(`${flag} must be a number with a unit, such as 30d, 12h or 90m.`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}
