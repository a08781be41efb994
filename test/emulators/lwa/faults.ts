/** Fault injection: validation (faults also arrive as JSON from another process), matching, replies. */
import { OAUTH_ERROR_STATUS, oauthError, type Reply } from './emulator';
import type { LwaFault, LwaOAuthError } from './types';

export interface FaultTarget {
  path: string;
  grantType?: string;
  subject?: string;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function optionalString(f: Record<string, unknown>, key: string): void {
  if (f[key] !== undefined && typeof f[key] !== 'string') throw new Error(`fault.${key} must be a string`);
}

function optionalNonNegativeInt(f: Record<string, unknown>, key: string, min = 0): void {
  const v = f[key];
  if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= min)) {
    throw new Error(`fault.${key} must be an integer >= ${min}`);
  }
}

export function validateFault(x: unknown): LwaFault {
  if (!isRecord(x)) throw new Error('fault must be an object');
  for (const key of ['grantType', 'subject', 'path']) optionalString(x, key);
  optionalNonNegativeInt(x, 'times', 1);
  switch (x.kind) {
    case 'status':
      if (
        !(typeof x.status === 'number' && Number.isInteger(x.status) && x.status >= 400 && x.status <= 599)
      ) {
        throw new Error('fault.status must be an HTTP error status (400-599)');
      }
      optionalString(x, 'error');
      optionalNonNegativeInt(x, 'retryAfterSeconds');
      break;
    case 'oauth-error':
      if (typeof x.error !== 'string' || !Object.hasOwn(OAUTH_ERROR_STATUS, x.error)) {
        throw new Error('fault.error must be an OAuth error code');
      }
      break;
    case 'latency':
      optionalNonNegativeInt(x, 'ms');
      if (x.ms === undefined) throw new Error('fault.ms is required');
      break;
    case 'hang':
      break;
    case 'drop-fields':
      if (
        !Array.isArray(x.fields) ||
        x.fields.length === 0 ||
        x.fields.some((f) => f !== 'access_token' && f !== 'expires_in')
      ) {
        throw new Error("fault.fields must list 'access_token' and/or 'expires_in'");
      }
      break;
    default:
      throw new Error("fault.kind must be 'status', 'oauth-error', 'latency', 'hang' or 'drop-fields'");
  }
  return x as unknown as LwaFault;
}

function defaultError(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'temporarily_unavailable';
  return status >= 500 ? 'server_error' : 'invalid_request';
}

/** The answer of a fault that replaces the real one (`status`, `oauth-error`). */
export function faultReply(fault: Extract<LwaFault, { kind: 'status' | 'oauth-error' }>): Reply {
  if (fault.kind === 'oauth-error') return oauthError(fault.error as LwaOAuthError, 'injected fault');
  const reply: Reply = {
    status: fault.status,
    body: { error: fault.error ?? defaultError(fault.status), error_description: 'injected fault' },
  };
  if (fault.retryAfterSeconds !== undefined)
    reply.headers = { 'Retry-After': String(fault.retryAfterSeconds) };
  return reply;
}

export class FaultQueue {
  private armed: { fault: LwaFault; remaining: number }[] = [];

  add(fault: LwaFault): void {
    this.armed.push({ fault: validateFault(fault), remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.armed = [];
  }

  get pending(): number {
    return this.armed.reduce((n, a) => n + a.remaining, 0);
  }

  /** Consumes one use of the oldest fault matching the request, so faults apply in the order injected. */
  take(t: FaultTarget): LwaFault | undefined {
    const i = this.armed.findIndex(
      ({ fault: f }) =>
        (f.path === undefined || f.path === t.path) &&
        (f.grantType === undefined || f.grantType === t.grantType) &&
        (f.subject === undefined || f.subject === t.subject),
    );
    const hit = this.armed[i];
    if (!hit) return undefined;
    if (--hit.remaining <= 0) this.armed.splice(i, 1);
    return hit.fault;
  }
}
