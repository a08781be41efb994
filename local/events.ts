/**
 * The local run's one-line events. They are derived from what the real handlers already say:
 * their Powertools JSON log lines (read in-process, off stdout and stderr) and the sellers table.
 * Log entries carry ids, regions and error codes only, never a token, and only an allow-list of
 * their fields is ever printed.
 */

export type EventKind =
  | 'consent'
  | 'authorized'
  | 'declined'
  | 'refreshed'
  | 'rotation'
  | 'client-secret'
  | 'failure';

export interface LocalEvent {
  /** Epoch ms. */
  readonly at: number;
  readonly kind: EventKind;
  readonly text: string;
}

/** A Powertools log entry, as far as events are concerned. */
export interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

export const EVENT_LABELS: Readonly<Record<EventKind, string>> = {
  consent: 'consent page',
  authorized: 'seller authorized',
  declined: 'seller declined',
  refreshed: 'token refreshed',
  rotation: 'rotation stored',
  'client-secret': 'client secret',
  failure: 'failure',
};
const LABEL_WIDTH = Math.max(...Object.values(EVENT_LABELS).map((l) => l.length));

/** Fields of a warning or error that say what went wrong; everything else stays out of the line. */
const DETAIL_FIELDS = ['route', 'reason', 'lwaError', 'error', 'failureCount', 'detail'] as const;

export function parseLogEntry(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const { level, message } = value as Record<string, unknown>;
    return typeof level === 'string' && typeof message === 'string' ? (value as LogEntry) : undefined;
  } catch {
    return undefined;
  }
}

/** The event a handler's log entry stands for, if any; routine INFO lines stand for none. */
export function eventFromLog(entry: LogEntry): Omit<LocalEvent, 'at'> | undefined {
  const who = subject(entry);
  switch (entry.message) {
    case 'Authorization started':
    case 'Seller Central login started':
      return { kind: 'consent', text: `${who}: sent to the consent page` };
    case 'Seller authorized':
      return { kind: 'authorized', text: `${who}: tokens stored, refresh scheduled` };
    case 'Seller declined authorization':
      return { kind: 'declined', text: `${who}: ${String(entry.error ?? 'declined')}, nothing stored` };
    case 'Asked Amazon for a new client secret; it arrives as a notification':
      return {
        kind: 'client-secret',
        text: 'expiry notice handled: SP-API answered 204 to the rotation request; the new secret comes as a notification',
      };
    case 'The client secret rotation for this expiry was already requested; nothing to do':
    case 'The client secret this notice is about was already replaced; nothing to do':
      return {
        kind: 'client-secret',
        text: 'expiry notice again: the rotation was already requested, nothing done',
      };
    case 'Stored the new client secret; the previous one stays usable until it expires':
      return {
        kind: 'client-secret',
        text: `new client secret stored; the previous one works until ${String(entry.previousClientSecretExpiresAt)}`,
      };
  }
  if (entry.level === 'WARN' || entry.level === 'ERROR' || entry.level === 'CRITICAL') {
    // The callback's ACCESS_ONLY warning is an authorization, with a caveat.
    if (entry.message.startsWith('LWA returned no refresh token')) {
      return { kind: 'authorized', text: `${who}: ACCESS_ONLY, LWA returned no refresh token` };
    }
    const details = DETAIL_FIELDS.filter((key) => entry[key] !== undefined).map(
      (key) => `${key}=${String(entry[key])}`,
    );
    return {
      kind: 'failure',
      text: `${who === '-' ? '' : `${who}: `}${entry.message}${details.length ? ` [${details.join(', ')}]` : ''}`,
    };
  }
  return undefined;
}

function subject(entry: LogEntry): string {
  const id = typeof entry.sellerId === 'string' ? entry.sellerId : undefined;
  const region = typeof entry.region === 'string' ? entry.region : undefined;
  if (id && region) return `${id} (${region})`;
  return id ?? region ?? '-';
}

export function formatEvent(event: LocalEvent): string {
  return `${clockTime(event.at)}  ${EVENT_LABELS[event.kind].padEnd(LABEL_WIDTH)}  ${event.text}`;
}

export function clockTime(epochMs: number): string {
  return new Date(epochMs).toTimeString().slice(0, 8);
}

/** Prints events as they happen and keeps the latest ones for the status page. */
export class EventFeed {
  private readonly recent: LocalEvent[] = [];

  constructor(
    private readonly write: (line: string) => void,
    private readonly keep = 50,
  ) {}

  add(event: Omit<LocalEvent, 'at'>, at = Date.now()): void {
    const full = { ...event, at };
    this.recent.push(full);
    if (this.recent.length > this.keep) this.recent.shift();
    this.write(formatEvent(full));
  }

  latest(): readonly LocalEvent[] {
    return [...this.recent].reverse();
  }
}

type Write = typeof process.stdout.write;

/**
 * Reads the handlers' log lines off process.stdout and process.stderr in this process. Powertools
 * lines become events (and are shown as they are only with `verbose`); anything else passes through.
 */
export class LogInterceptor {
  private readonly originals: { out: Write; err: Write };
  private readonly partial = { out: '', err: '' };
  private installed = false;

  constructor(
    private readonly onEntry: (entry: LogEntry) => void,
    private readonly verbose: boolean,
  ) {
    this.originals = {
      out: process.stdout.write.bind(process.stdout),
      err: process.stderr.write.bind(process.stderr),
    };
  }

  install(): void {
    if (this.installed) return;
    this.installed = true;
    process.stdout.write = this.wrap('out') as Write;
    process.stderr.write = this.wrap('err') as Write;
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    for (const stream of ['out', 'err'] as const) {
      if (this.partial[stream]) this.emit(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
    process.stdout.write = this.originals.out;
    process.stderr.write = this.originals.err;
  }

  private wrap(stream: 'out' | 'err') {
    return (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      const text =
        this.partial[stream] + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const lines = text.split('\n');
      this.partial[stream] = lines.pop() ?? '';
      for (const line of lines) this.emit(stream, line);
      // Node's write(chunk, [encoding], [callback]): honour the callback so callers don't wait forever.
      const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
      if (callback) process.nextTick(callback);
      return true;
    };
  }

  private emit(stream: 'out' | 'err', line: string): void {
    const entry = parseLogEntry(line);
    if (entry) {
      if (this.verbose) this.originals[stream](`${line}\n`);
      this.onEntry(entry);
    } else {
      this.originals[stream](`${line}\n`);
    }
  }
}
