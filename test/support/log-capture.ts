/**
 * Records everything written to stdout and stderr (Powertools' logger writes JSON lines there)
 * so a test can scan the whole run for leaked codes and tokens. Output is still passed through
 * when LOG_PASSTHROUGH is set, to debug a failing test.
 */
export interface LogCapture {
  readonly lines: string[];
  /** Every captured line that contains any of the given secrets. */
  leaksOf(secrets: Iterable<string>): string[];
  restore(): void;
}

export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const originals = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  const passthrough = Boolean(process.env.LOG_PASSTHROUGH);
  const recorder =
    (original: typeof process.stdout.write) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      lines.push(
        ...String(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
          .split('\n')
          .filter(Boolean),
      );
      return passthrough ? (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest) : true;
    };
  process.stdout.write = recorder(originals.out) as typeof process.stdout.write;
  process.stderr.write = recorder(originals.err) as typeof process.stderr.write;
  return {
    lines,
    leaksOf(secrets) {
      const list = [...secrets].filter((s) => s.length >= 8);
      return lines.filter((line) => list.some((secret) => line.includes(secret)));
    },
    restore() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}
